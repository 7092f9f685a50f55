"""Hostile values at the load (issue 13): each a reject with its own rule and a message,
never a failure of the load or a later step."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import duckdb
import pytest
from package_fixture import VALID_ROWS

from pipelines.ingest.load import MAX_MONEY, load_package
from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.marts import read_staging_frames


def row(table: str, **changes) -> dict:
    return dict(VALID_ROWS[table][0], **changes)


def rejects(conn) -> list[tuple]:
    return conn.execute("SELECT source, line, rule, message FROM audit.rejects ORDER BY source, line").fetchall()


def load(folder, **kwargs):
    conn = duckdb.connect()
    report = load_package(folder, conn, **kwargs)
    return conn, report


def test_an_amount_that_overflows_once_converted_is_rejected(package):
    """9,999,999,999,999,999.99 KWD fits DECIMAL(18,2); at 3 EUR per KWD it does not."""
    folder = package(
        extra={
            "fx_rates": [{"currency": "KWD", "rate_date": "2025-01-01", "eur_per_unit": "3"}],
            "transactions": [row("transactions", transaction_id="T2", amount="9999999999999999.99", currency="KWD")],
        }
    )
    conn, report = load(folder)
    assert rejects(conn) == [
        (
            "transactions",
            3,
            "amount_out_of_range",
            "amount 9999999999999999.99 KWD is 29999999999999999.97 EUR when converted: "
            "more than DECIMAL(18,2) holds (9999999999999999.99)",
        )
    ]
    assert report.table("transactions").rows_loaded == 1


def test_a_huge_rate_makes_an_out_of_range_amount_not_a_crash(package):
    folder = package(
        extra={
            "fx_rates": [{"currency": "JPY", "rate_date": "2025-01-01", "eur_per_unit": "999999999999"}],
            "expenditures": [row("expenditures", expenditure_id="E2", amount="100000.00", currency="JPY")],
        }
    )
    conn, _ = load(folder)
    [(source, line, rule, message)] = rejects(conn)
    assert (source, line, rule) == ("expenditures", 3, "amount_out_of_range")
    assert "100000.00 JPY" in message
    # the rate itself is a valid rate (12 integer digits fit DECIMAL(24,12))
    assert conn.execute("SELECT count(*) FROM staging.fx_rates WHERE currency = 'JPY'").fetchone() == (1,)


def test_a_cross_rate_that_does_not_fit_is_a_bad_rate(package):
    """Reporting in USD at 10^-12 EUR per USD: a JPY rate of 10^11 EUR is 10^23 USD per JPY."""
    folder = package(
        overrides={
            "fx_rates": [
                {"currency": "USD", "rate_date": "2025-01-01", "eur_per_unit": "0.000000000001"},
                {"currency": "JPY", "rate_date": "2025-01-01", "eur_per_unit": "100000000000"},
            ]
        },
        extra={"transactions": [row("transactions", transaction_id="T2", currency="JPY", amount="1.00")]},
    )
    conn, _ = load(folder, reporting_currency="USD")
    rules = {(r[0], r[2]) for r in rejects(conn)}
    assert ("transactions", "bad_rate") in rules
    messages = [r[3] for r in rejects(conn) if r[0] == "transactions" and r[2] == "bad_rate"]
    assert messages == [
        "the rate from JPY to USD (100000000000.000000000000 / 0.000000000001 EUR per unit) "
        "does not fit DECIMAL(24,12) or rounds to 0"
    ]


def test_five_valid_amounts_whose_sum_overflows(package):
    """Each 3,000,000,000,000,000.00 EUR fits; their sum does not. From the row that passes
    the package's budget on, rows are rejected, and the metrics run on the rest."""
    big = [row("transactions", transaction_id=f"B{i}", amount="3000000000000000.00", currency="EUR") for i in range(5)]
    folder = package(extra={"transactions": big})
    conn, report = load(folder)
    got = rejects(conn)
    assert [(r[0], r[1], r[2]) for r in got] == [
        ("transactions", 6, "total_out_of_range"),
        ("transactions", 7, "total_out_of_range"),
    ]
    assert "more than 9999999999999999.99 EUR" in got[0][3]
    t = report.table("transactions")
    assert t.rows_read == t.rows_loaded + t.rows_rejected == 6
    ((total,),) = conn.execute("""
        SELECT (SELECT sum(abs(committed_eur)) FROM staging.agreements) + (SELECT sum(abs(amount_eur))
        FROM staging.transactions) + (SELECT sum(abs(amount_eur)) FROM staging.expenditures)""").fetchall()
    assert Decimal(total) <= MAX_MONEY
    marts = compute_region_metrics(read_staging_frames(conn))  # every sum fits the marts' DECIMAL(18,2)
    assert marts.sustainability.height > 0


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_implausible_dates_are_rejected_with_their_own_rule(package, day):
    folder = package(extra={"transactions": [row("transactions", transaction_id="T2", transaction_date=day)]})
    conn, _ = load(folder)
    assert rejects(conn) == [
        (
            "transactions",
            3,
            "implausible_date",
            f"transaction_date {day} is outside the plausible dates 1900-01-01 to 2100-12-31 "
            "(PLAUSIBLE_DATE_FROM, PLAUSIBLE_DATE_TO)",
        )
    ]


@pytest.mark.parametrize(
    ("table", "changes", "column"),
    [
        ("partners", {"partner_id": "P2", "since": "0001-01-01"}, "since"),
        ("fx_rates", {"rate_date": "9999-12-31"}, "rate_date"),
        ("agreements", {"agreement_id": "A2", "end_date": "9999-12-31"}, "end_date"),
        ("expenditures", {"expenditure_id": "E2", "value_date": "3000-01-01"}, "value_date"),
        ("activities", {"activity_id": "X2", "end_date": "9999-12-31"}, "end_date"),
        ("interactions", {"interaction_id": "I2", "interaction_date": "1000-01-01"}, "interaction_date"),
        ("outcomes", {"outcome_id": "O2", "period_end": "9999-12-31"}, "period_end"),
    ],
)
def test_every_date_column_has_the_window(package, table, changes, column):
    folder = package(extra={table: [row(table, **changes)]})
    conn, _ = load(folder)
    [(source, line, rule, message)] = rejects(conn)
    assert (source, line, rule) == (table, 3, "implausible_date") and message.startswith(column)


def test_the_window_is_a_setting(package):
    folder = package(extra={"transactions": [row("transactions", transaction_id="T2", transaction_date="2026-06-01")]})
    conn, _ = load(folder, date_window=(date(2000, 1, 1), date(2025, 12, 31)))
    assert [(r[2], r[3][:27]) for r in rejects(conn)] == [("implausible_date", "transaction_date 2026-06-01")]


def test_whole_numbers_beyond_a_billion_are_rejected(package):
    folder = package(extra={"activities": [row("activities", activity_id="X2", participants="5000000000")]})
    conn, _ = load(folder)
    assert [(r[2], r[3]) for r in rejects(conn)] == [
        ("number_out_of_range", "participants 5000000000 is more than 1000000000")
    ]


def test_an_outcome_number_too_large_for_a_double_is_rejected(package):
    folder = package(extra={"outcomes": [row("outcomes", outcome_id="O2", actual="1" + "0" * 400)]})
    conn, _ = load(folder)
    assert [r[2] for r in rejects(conn)] == ["number_out_of_range"]


@pytest.mark.parametrize(
    ("table", "changes", "column", "code"),
    [
        ("partners", {"partner_id": "P2", "name": "Fundacao \u202efdp.exe\u202c Viva"}, "name", "U+202E"),
        ("partners", {"partner_id": "P2", "name": "Isolate \u2066x\u2069"}, "name", "U+2066"),
        ("partners", {"partner_id": "P\x002"}, "partner_id", "U+0000"),
        ("interactions", {"interaction_id": "I2", "note": "bell \x07"}, "note", "U+0007"),
        ("agreements", {"agreement_id": "A2", "title": "C1 \x9b control"}, "title", "U+009B"),
        ("regions", {"region_code": "AF", "region_name": "Africa\x1b[31m"}, "region_name", "U+001B"),
        ("transactions", {"transaction_id": "T\t2"}, "transaction_id", "U+0009"),
    ],
)
def test_control_and_bidi_characters_are_rejected(package, table, changes, column, code):
    folder = package(extra={table: [row(table, **changes)]})
    conn, _ = load(folder)
    [(source, line, rule, message)] = rejects(conn)
    assert (source, line, rule) == (table, 3, "control_character")
    assert message.startswith(f"{column} holds {code}")
    kind = "bidirectional control" if code in ("U+202E", "U+2066") else "control"
    assert f"a {kind} character" in message
    raw = conn.execute("SELECT raw FROM audit.rejects").fetchone()[0]
    assert json.loads(raw)[column] == changes[column]  # the row as read, character included


def test_tab_and_line_breaks_inside_free_text_are_kept(package):
    folder = package(extra={"interactions": [row("interactions", interaction_id="I2", note="line one\nline\ttwo")]})
    conn, _ = load(folder)
    assert rejects(conn) == []
    assert conn.execute("SELECT note FROM staging.interactions WHERE interaction_id = 'I2'").fetchone() == (
        "line one\nline\ttwo",
    )


def test_a_control_character_cut_at_a_block_boundary_is_seen(package, monkeypatch):
    """The byte pass reads 4 MiB blocks: U+202E (3 bytes) split over two is still found."""
    from pipelines.ingest import read

    folder = package(extra={"partners": [row("partners", partner_id="P2", name="x\u202ey")]})
    data = (folder / "partners.csv").read_bytes()
    cut = data.index("\u202e".encode()) + 1
    calls = []

    class Split:
        def __init__(self, raw):
            self.raw, self.chunks = raw, [data[:cut], data[cut:]]

        def read(self, _size):
            return self.chunks.pop(0) if self.chunks else b""

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    real_open = type(folder).open

    def fake_open(self, mode="r", *args, **kwargs):
        if self.name == "partners.csv" and mode == "rb":
            calls.append(1)
            return Split(None)
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(type(folder), "open", fake_open)
    _, scans = read.scan_files([folder / "partners.csv"])
    assert calls and scans[folder / "partners.csv"].controls
