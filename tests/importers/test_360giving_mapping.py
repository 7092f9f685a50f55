"""360Giving mapping: counts verified by hand, date forms, spreadsheets, text repairs."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from pipelines.importers.dates import parse_any_date, slashed_order
from pipelines.importers.text import clean_text
from pipelines.importers.threesixtygiving import import_360giving
from tests.importers.sources import EXTERNAL, GIVING_FILES, giving_package_sums, giving_source_sums, read_csv

GRANTS = EXTERNAL / "threesixtygiving" / "grants"


def test_indigo_counts_by_hand(tmp_path):
    """indigo-trust-2015.json (SOURCES.md and a count of beneficiaryLocation): 269 grants
    from one funder, 360G-indigotrust. Countries GB/NL/FR -> EU; ZA, UG, KE, NG, GH, CM,
    TZ, LR, ZM, ZW, TG, RW, SL -> AF; US -> NA; MA -> MENA; two grants name "UK" without a
    code -> GB. Each grant has one country, so one agreement each; no amountDisbursed."""
    summary = import_360giving([GRANTS / "indigo-trust-2015.json"], tmp_path)
    assert summary.activities == 269
    assert summary.partners == {"360G-indigotrust"}
    assert summary.regions == {"EU", "AF", "NA", "MENA"}
    agreements = read_csv(tmp_path / "agreements.csv")
    assert len(agreements) == 269
    assert read_csv(tmp_path / "transactions.csv") == []
    # "26/03/2001 00:00" is day-first; "12 months" of duration gives the end date
    first = next(a for a in agreements if a["source_id"] == "360G-indigotrust:IND1")
    assert (first["start_date"], first["end_date"], first["committed_amount"]) == (
        "2001-03-26",
        "2002-03-26",
        "10000.00",
    )


def test_spreadsheet_with_excel_serial_dates(tmp_path):
    """ab-charitable-trust xlsx, row 2: Award Date 44222 = 2021-01-26 (Excel day 0 is
    1899-12-30), 30000 GBP, beneficiary "UK Wide" -> GB -> EU. 783 grant rows."""
    summary = import_360giving([GRANTS / "ab-charitable-trust-2013-2021.xlsx"], tmp_path)
    agreements = read_csv(tmp_path / "agreements.csv")
    assert summary.activities == len(agreements) == 783
    first = agreements[0]
    assert (first["start_date"], first["committed_amount"], first["currency"], first["region_code"]) == (
        "2021-01-26",
        "30000.00",
        "GBP",
        "EU",
    )
    assert summary.partners == {"GB-CHC-1000147"}
    assert read_csv(tmp_path / "partners.csv")[0]["country_code"] == "GB"


def test_power_to_change_disbursements_are_income(tmp_path):
    # every grant has amountDisbursed; 111 of them 0, which write no row (only a note):
    # an income row of 0 would make an empty period for the reports to pick
    summary = import_360giving([GRANTS / "power-to-change-2015-2019.json"], tmp_path)
    income = read_csv(tmp_path / "transactions.csv")
    assert summary.activities == 870 and len(income) == 870 - 111
    assert all(Decimal(row["amount"]) != 0 for row in income)
    notes = read_csv(tmp_path / "import_notes.csv")
    assert sum(1 for n in notes if n["note"] == "amountDisbursed is 0: no income row") == 111
    # no disbursement is dated after its record's dateModified (2019-05-15 for all)
    assert max(row["transaction_date"] for row in income) <= "2019-05-15"


@pytest.mark.parametrize(
    "text, order, expected",
    [
        ("26/03/2001 00:00", "dmy", date(2001, 3, 26)),  # indigo
        ("08/2013", "dmy", date(2013, 8, 1)),  # nominet, month/year only
        ("19 April 2013", "dmy", date(2013, 4, 19)),  # nominet planned dates
        ("44222", "dmy", date(2021, 1, 26)),  # Excel serial (ABCT)
        ("2015-06-01T00:00:00+00:00", "dmy", date(2015, 6, 1)),  # power-to-change
        ("1/26/2021", "mdy", date(2021, 1, 26)),  # Gates CSV, M/D/YYYY
        ("Undefined", "dmy", None),
    ],
)
def test_360giving_date_forms(text, order, expected):
    assert parse_any_date(text, order) == expected


def test_slashed_order_is_detected_per_file():
    assert slashed_order(["1/2/2020", "1/26/2021"]) == "mdy"  # a second part > 12
    assert slashed_order(["1/2/2020", "26/03/2001"]) == "dmy"  # a first part > 12
    assert slashed_order(["1/2/2020"]) == "dmy"  # undecidable: UK default


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Grant ‚Äì phase 2", "Grant – phase 2"),  # Gates: UTF-8 read as MacRoman
        ("the donorﾒs gift", "the donor’s gift"),  # nominet: half-width katakana for ’
        ("Concern\x92s", "Concern’s"),  # C1 code point for cp1252 ’
        ("  two\tlines\n here ", "two lines here"),
    ],
)
def test_text_repairs(raw, clean):
    assert clean_text(raw) == clean


def test_csv_without_currency_needs_a_default(tmp_path):
    # Gates CSV: no currency column, M/D/YYYY dates; without a default the grant is rejected
    path = tmp_path / "gates.csv"
    path.write_text(
        "Identifier,Title,Amount Awarded,Award Date,Funding Org:Identifier,Funding Org:Name,"
        "Beneficiary Location:Country Code\n"
        "G-1,Vaccines ‚Äì Kenya,1000,1/26/2021,DAC-1601,Gates Foundation,KE\n",
        encoding="utf-8",
    )
    import_360giving([path], tmp_path / "a")
    assert read_csv(tmp_path / "a" / "rejects.csv")[0]["amount"] == "1000"
    import_360giving([path], tmp_path / "b", default_currency="USD")
    (agreement,) = read_csv(tmp_path / "b" / "agreements.csv")
    assert (agreement["title"], agreement["start_date"], agreement["currency"], agreement["region_code"]) == (
        "Vaccines – Kenya",
        "2021-01-26",
        "USD",
        "AF",
    )


def test_several_countries_split_equally_and_duplicates_rejected(tmp_path):
    # 300.01 over KE, MX, GB: 100.00 each; the cent left over goes to the tied remainder
    # that sorts first by region code (AF)
    grant = {
        "id": "G-1",
        "title": "t",
        "currency": "GBP",
        "amountAwarded": Decimal("300.01"),
        "awardDate": "2020-01-01",
        "fundingOrganization": [{"id": "GB-CHC-1", "name": "F"}],
        "beneficiaryLocation": [{"countryCode": "KE"}, {"countryCode": "MX"}, {"countryCode": "GB"}],
    }
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"grants": [grant, grant]}, default=str))
    import_360giving([path], tmp_path / "out")
    committed = {a["region_code"]: a["committed_amount"] for a in read_csv(tmp_path / "out" / "agreements.csv")}
    assert committed == {"AF": "100.01", "LAC": "100.00", "EU": "100.00"}
    (reject,) = read_csv(tmp_path / "out" / "rejects.csv")
    assert "duplicate grant id" in reject["reason"] and reject["amount"] == "300.01"


@pytest.mark.parametrize("path", GIVING_FILES, ids=lambda p: p.name)
def test_real_file_reconciles_in_import_summary(path, tmp_path):
    """import_summary.csv: for every currency and type, as published = support + commitment
    + pass-through + rejected (unaccounted 0), published equals the source read independently
    (sources.py), and the counted columns equal what the package and rejects.csv hold."""
    import_360giving([path], tmp_path)
    rows = read_csv(tmp_path / "import_summary.csv")
    assert rows and all(Decimal(r["unaccounted"]) == 0 for r in rows), rows
    published = {(r["currency"], r["source_type"]): Decimal(r["published"]) for r in rows}
    assert published == giving_source_sums(path)
    counted = {
        (r["currency"], r["source_type"]): Decimal(r["support"]) + Decimal(r["commitment"]) + Decimal(r["rejected"])
        for r in rows
    }
    assert counted == giving_package_sums(tmp_path)
    assert all(Decimal(r["expenditure"]) == Decimal(r["pass_through"]) == 0 for r in rows)
