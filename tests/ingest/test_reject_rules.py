"""Each rule of the data contract, broken once by a hand-made row: the row lands in
audit.rejects with its line, rule, a message naming the column, and the raw row;
everything else still loads."""

import json

import duckdb
import pytest
from package_fixture import VALID_ROWS

from pipelines.ingest.load import load_package


def with_changes(table: str, **changes) -> dict:
    row = dict(VALID_ROWS[table][0])
    row.update(changes)
    return row


# (table, the bad row appended after the valid one, expected rule, words the message must contain)
CASES = [
    ("regions", {"region_code": "eu", "region_name": "lower case"}, "bad_region_code", "region_code 'eu'"),
    ("regions", {"region_code": "A_CODE_LONGER_THAN16", "region_name": "x"}, "bad_region_code", "1-16"),
    ("regions", {"region_code": "EU", "region_name": "Europe again"}, "duplicate_key", "region_code 'EU'"),
    ("countries", {"country_code": "FRA", "country_name": "France", "region_code": "EU"}, "bad_country_code", "FRA"),
    (
        "countries",
        {"country_code": "DE", "country_name": "Germany", "region_code": "XX"},
        "foreign_key",
        "region_code 'XX'",
    ),
    (
        "partners",
        with_changes("partners", partner_id="P2", partner_type="pirate"),
        "not_in_vocabulary",
        "partner_type 'pirate'",
    ),
    ("partners", with_changes("partners", partner_id="P2", since="01/02/2020"), "bad_date", "since '01/02/2020'"),
    ("partners", with_changes("partners", partner_id="P2", country_code="ZZ"), "foreign_key", "country_code 'ZZ'"),
    ("partners", with_changes("partners", partner_id="P2", name=""), "missing_value", "name is empty"),
    (
        "fx_rates",
        {"currency": "USD", "rate_date": "2025-01-01", "eur_per_unit": "0.8"},
        "duplicate_key",
        "USD on 2025-01-01",
    ),
    ("fx_rates", {"currency": "USD", "rate_date": "2025-02-01", "eur_per_unit": "0"}, "not_positive", "greater than 0"),
    (
        "fx_rates",
        {"currency": "USD", "rate_date": "2025-03-01", "eur_per_unit": "-1"},
        "bad_number",
        "eur_per_unit '-1'",
    ),
    ("fx_rates", {"currency": "XYZ", "rate_date": "2025-01-01", "eur_per_unit": "1"}, "unknown_currency", "'XYZ'"),
    ("fx_rates", {"currency": "EUR", "rate_date": "2025-01-01", "eur_per_unit": "1.1"}, "bad_rate", "base currency"),
    (
        "agreements",
        with_changes("agreements", agreement_id="A2", end_date="2024-12-31"),
        "end_before_start",
        "before start_date",
    ),
    (
        "agreements",
        with_changes("agreements", agreement_id="A2", committed_amount="-5"),
        "negative_value",
        "committed_amount",
    ),
    ("agreements", with_changes("agreements", agreement_id="A2", instrument="mou"), "mou_with_amount", "must be 0"),
    (
        "agreements",
        with_changes("agreements", agreement_id="A2", instrument="loan"),
        "not_in_vocabulary",
        "instrument 'loan'",
    ),
    ("agreements", with_changes("agreements", agreement_id="A2", partner_id="P9"), "foreign_key", "partner_id 'P9'"),
    ("agreements", with_changes("agreements", agreement_id="A2", renews="A7"), "foreign_key", "renews 'A7'"),
    (
        "agreements",
        with_changes("agreements", agreement_id="A2", start_date="2024-06-01"),
        "missing_rate",
        "no USD rate on or before 2024-06-01",
    ),
    (
        "agreements",
        with_changes("agreements", agreement_id="A2", committed_amount="1,000.00"),
        "bad_amount",
        "'1,000.00'",
    ),
    (
        "transactions",
        with_changes("transactions", transaction_id="T2", amount="12.345"),
        "bad_amount",
        "at most 2 decimals",
    ),
    (
        "transactions",
        with_changes("transactions", transaction_id="T2", transaction_date="2025-02-30"),
        "bad_date",
        "'2025-02-30'",
    ),
    (
        "transactions",
        with_changes("transactions", transaction_id="T2", transaction_type="loan"),
        "not_in_vocabulary",
        "transaction_type 'loan'",
    ),
    (
        "transactions",
        with_changes("transactions", transaction_id="T2", agreement_id="A9"),
        "foreign_key",
        "agreement_id 'A9'",
    ),
    ("transactions", with_changes("transactions", transaction_id="T2", currency="EURO"), "unknown_currency", "'EURO'"),
    ("transactions", with_changes("transactions", transaction_id="T2", currency="GBP"), "missing_rate", "no GBP rate"),
    (
        "transactions",
        with_changes("transactions", transaction_id="T2", transaction_date="2024-12-31"),
        "missing_rate",
        "on or before 2024-12-31",
    ),
    ("transactions", with_changes("transactions", amount="7.00"), "duplicate_key", "transaction_id 'T1'"),
    (
        "expenditures",
        with_changes("expenditures", expenditure_id="E2", category="lunch"),
        "not_in_vocabulary",
        "category 'lunch'",
    ),
    (
        "expenditures",
        with_changes("expenditures", expenditure_id="E2", region_code="XX"),
        "foreign_key",
        "region_code 'XX'",
    ),
    (
        "expenditures",
        with_changes("expenditures", expenditure_id="E2", agreement_id="A9"),
        "foreign_key",
        "agreement_id 'A9'",
    ),
    ("activities", with_changes("activities", activity_id="X2", participants="-3"), "negative_value", "participants"),
    (
        "activities",
        with_changes("activities", activity_id="X2", libraries_reached="2.5"),
        "bad_number",
        "libraries_reached '2.5'",
    ),
    (
        "activities",
        with_changes("activities", activity_id="X2", end_date="2025-02-01"),
        "end_before_start",
        "before start_date",
    ),
    ("activities", with_changes("activities", activity_id="X2", activity_type="party"), "not_in_vocabulary", "'party'"),
    ("activities", with_changes("activities", activity_id="X2", country_code="ZZ"), "foreign_key", "country_code 'ZZ'"),
    (
        "interactions",
        with_changes("interactions", interaction_id="I2", channel="whatsapp"),
        "not_in_vocabulary",
        "channel 'whatsapp'",
    ),
    (
        "interactions",
        with_changes("interactions", interaction_id="I2", partner_id="P9"),
        "foreign_key",
        "partner_id 'P9'",
    ),
    ("outcomes", with_changes("outcomes", outcome_id="O2", actual="n/a"), "bad_number", "actual 'n/a'"),
    ("outcomes", with_changes("outcomes", outcome_id="O2", region_code="XX"), "foreign_key", "region_code 'XX'"),
    ("outcomes", with_changes("outcomes", outcome_id="O2", period_end=""), "missing_value", "period_end is empty"),
]


@pytest.mark.parametrize(
    ("table", "row", "rule", "words"), CASES, ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)]
)
def test_a_broken_row_is_rejected_with_its_rule(package, table, row, rule, words):
    folder = package(extra={table: [row]})
    conn = duckdb.connect()
    report = load_package(folder, conn)

    rejects = conn.execute("SELECT source, line, rule, message, raw FROM audit.rejects").fetchall()
    assert len(rejects) == 1, rejects
    source, line, got_rule, message, raw = rejects[0]
    assert (source, got_rule) == (table, rule)
    assert line == 3  # header, the valid row, then the bad one
    assert words in message
    assert json.loads(raw) == {k: (v if v != "" else None) for k, v in row.items()}
    # The valid row of the same table is loaded; nothing else is touched.
    assert report.table(table).rows_loaded == len(VALID_ROWS[table])
    assert report.rows_rejected == 1


def test_duplicate_key_keeps_the_first_occurrence(package):
    first = dict(VALID_ROWS["transactions"][0])
    second = dict(first, amount="999.99")
    folder = package(overrides={"transactions": [first, second]})
    conn = duckdb.connect()
    load_package(folder, conn)
    assert conn.execute("SELECT amount::VARCHAR FROM staging.transactions").fetchall() == [("100.00",)]
    assert conn.execute("SELECT line, rule FROM audit.rejects").fetchall() == [(3, "duplicate_key")]


def test_an_empty_line_is_reported_not_silently_skipped(package):
    folder = package()
    path = folder / "interactions.csv"
    path.write_text(path.read_text() + "\n" + "I2,P1,EU,2025-04-01,email,Follow-up\n")
    conn = duckdb.connect()
    load_package(folder, conn)
    assert conn.execute("SELECT line, rule FROM audit.rejects").fetchall() == [(3, "empty_row")]
    assert conn.execute("SELECT interaction_id FROM staging.interactions ORDER BY 1").fetchall() == [("I1",), ("I2",)]


def test_rejected_parent_makes_its_children_dangling(package):
    """An agreement that breaks a rule takes its transactions with it, each with a reason."""
    bad = dict(VALID_ROWS["agreements"][0], end_date="2024-01-01")
    folder = package(overrides={"agreements": [bad]})
    conn = duckdb.connect()
    load_package(folder, conn)
    rules = conn.execute("SELECT source, rule FROM audit.rejects ORDER BY source").fetchall()
    assert rules == [
        ("activities", "foreign_key"),
        ("agreements", "end_before_start"),
        ("transactions", "foreign_key"),
    ]


def test_codes_and_vocabulary_are_case_insensitive_but_stored_canonically(package):
    row = dict(VALID_ROWS["transactions"][0], transaction_id="T2", transaction_type="Income", currency="usd")
    folder = package(extra={"transactions": [row]})
    conn = duckdb.connect()
    load_package(folder, conn)
    assert conn.execute(
        "SELECT transaction_type, currency FROM staging.transactions WHERE transaction_id = 'T2'"
    ).fetchall() == [("income", "USD")]
