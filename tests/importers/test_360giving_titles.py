"""360Giving published from spreadsheets: title keys, paths and variants; durations; place
names (countries, regions, UK towns) and codes; undated and zero disbursements. Every
expected row is worked out by hand in the comments."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from pipelines.importers import giving_titles
from pipelines.importers.geography import RegionMap
from pipelines.importers.package import ImportFailure
from pipelines.importers.places import Places
from pipelines.importers.threesixtygiving import duration_months, import_360giving
from tests.importers.sources import read_csv

FUNDER = {"Funding Org:Identifier": "GB-CHC-100", "Funding Org:Name": "Hill Trust"}


def rows_by_id(out: Path, table: str, key: str) -> dict[str, dict[str, str]]:
    return {row[key]: row for row in read_csv(out / f"{table}.csv")}


def agreement(row: dict[str, str]) -> tuple[str, str, str, str]:
    return row["start_date"], row["end_date"], row["committed_amount"], row["currency"]


# --- unflattening -----------------------------------------------------------------------


def test_titles_paths_and_standard_keys_unflatten_to_one_shape():
    grant = giving_titles.unflatten(
        {
            "Identifier": "G-1",
            "amountAwarded": 6,
            "Amount Awarded": "5",  # the first value is kept
            " planned dates : DURATION (Months) ": 24,  # case and spaces
            "Planned Dates:Start Date": "2020-01-01",
            "Beneficiary Location:0:Name": "Ethiopia",  # numbered repeats
            "Beneficiary Location:1:Country Code": "KE",
            "beneficiaryLocation/2/countryCode": "MX",  # flattentool's JSON paths
            "recipientOrganization": [{"id": "GB-CHC-1", "name": "N"}],
            "Recipient Org": {"Alternate Name": "A"},  # a nested object keyed by titles (indigo)
            "Recipient Org:Location:Country": "Kenya",  # a common variant: Country for Country Code
            "Website: Notes": "kept as it is",  # not a field of the standard
        }
    )
    assert grant == {
        "id": "G-1",
        "amountAwarded": 6,
        "plannedDates": [{"duration": 24, "startDate": "2020-01-01"}],
        "beneficiaryLocation": [{"name": "Ethiopia"}, {"countryCode": "KE"}, {"countryCode": "MX"}],
        "recipientOrganization": [
            {"id": "GB-CHC-1", "name": "N", "alternateName": "A", "location": [{"countryCode": "Kenya"}]}
        ],
        "Website: Notes": "kept as it is",
    }


def test_repeated_columns_become_several_locations():
    # the second Name and Country Code columns fill the first location where they are empty
    header = ["Beneficiary Location:Name", "Beneficiary Location:Country Code"] * 2 + [
        "Funding Org:Name",
        "Award Date - website format",
    ]
    grant = giving_titles.unflatten_row(header, ["Kenya", "KE", "", "UG", "F", "26 Jan"])
    assert grant == {
        "beneficiaryLocation": [{"name": "Kenya", "countryCode": "KE"}, {"countryCode": "UG"}],
        "fundingOrganization": [{"name": "F"}],
    }


@pytest.mark.parametrize(
    "value, months",
    [
        ("24", 24),
        (24, 24),
        (Decimal("24.0"), 24),
        ("12 months", 12),
        ("1 Month", 1),
        ("2 years", 24),
        ("1.5 yrs", 18),
        ("18.5", 19),  # half a month rounds up
        ("Undefined", None),
        ("6 weeks", None),
        ("-3", None),
        ("", None),
        (None, None),
    ],
)
def test_duration_forms(value, months):
    assert duration_months(value) == months


@pytest.mark.parametrize(
    "text, found",
    [
        ("KE", ("country", "KE")),
        ("ke", ("country", "KE")),
        ("Kenya", ("country", "KE")),
        ("the Netherlands", ("country", "NL")),
        ("Tanzania", ("country", "TZ")),
        ("Eastern Africa", ("region", "AF")),
        ("Sub-Saharan Africa", ("region", "AF")),
        ("Africa", ("region", "AF")),
        ("Northern Africa", ("region", "MENA")),
        ("Middle East", ("region", "MENA")),
        ("Latin America", ("region", "LAC")),
        ("Caribbean", ("region", "LAC")),
        ("South-East Asia", ("region", "AO")),
        ("Pacific", ("region", "AO")),
        ("Europe", ("region", "EU")),
        ("Global", ("region", "GLOBAL")),
        ("Leeds", ("country", "GB")),
        ("Manchester", ("country", "GB")),  # UK towns (uk_towns.csv)
        ("South West - Devon", ("country", "GB")),  # the part before " - "
        ("Boston", None),
        ("Perth", None),  # the larger city of that name is abroad: not taken as UK
        ("Americas", None),  # straddles LAC and NA
        ("Atlantis", None),
        ("", None),
    ],
)
def test_places(text, found):
    assert Places(RegionMap.load()).find(text) == found


# --- title-keyed JSON ---------------------------------------------------------------------

GRANTS = [
    # T-1: titles only. 24 months from the award date 2020-03-15; Ethiopia -> ET -> AF
    {
        "Identifier": "T-1",
        "Title": "Water points",
        "Currency": "GBP",
        "Amount Awarded": "1,200.50",
        "Award Date": "2020-03-15",
        **FUNDER,
        "Planned Dates:Duration (months)": 24,
        "Beneficiary Location:Name": "Ethiopia",
    },
    # T-2: standard keys mixed with titles in other cases; "2 years"; a region name, a code and a
    # UK town: 900 / 3 = 300 each to AF (Eastern Africa), LAC (MX), EU (Manchester -> GB)
    {
        "id": "T-2",
        "title": "Three places",
        "currency": "GBP",
        "amountAwarded": 900,
        "awardDate": "2021-01-10",
        "fundingOrganization": [{"id": "GB-CHC-100", "name": "Hill Trust"}],
        " planned dates : start date ": "2021-02-01",
        "PLANNED DATES:DURATION (MONTHS)": "2 years",
        "Beneficiary Location:0:Name": "Eastern Africa",
        "Beneficiary Location:1:Country Code": "MX",
        "Beneficiary Location:2:Name": "Manchester",
    },
    # T-3: JSON paths; "ke" is KE -> AF; 18 months from 2019-06-01 = 2020-12-01; the undated 400
    # is paid at the planned start 2019-06-01, which lies between award (05-01) and dateModified (09-30)
    {
        "id": "T-3",
        "title": "Clinic",
        "currency": "GBP",
        "amountAwarded": 1000,
        "amountDisbursed": 400,
        "awardDate": "2019-05-01",
        "dateModified": "2019-09-30",
        "fundingOrganization/0/id": "GB-CHC-100",
        "fundingOrganization/0/name": "Hill Trust",
        "plannedDates/0/startDate": "2019-06-01",
        "plannedDates/0/duration": "18 months",
        "beneficiaryLocation/0/countryCode": "ke",
    },
    # T-4: planned start 2022-01-01 is after the record's Last Modified 2020-06-30, by when the 250
    # had been paid: dated 2020-06-30. No beneficiary location: recipient location Kenya -> AF (noted)
    {
        "Identifier": "T-4",
        "Title": "Later",
        "Currency": "GBP",
        "Amount Awarded": 500,
        "Amount Disbursed": 250,
        "Award Date": "2019-01-15",
        "Last Modified": "2020-06-30",
        **FUNDER,
        "Planned Dates:Start Date": "2022-01-01",
        "Planned Dates:Duration (months)": "12",
        "Recipient Org:Location:Country": "Kenya",
    },
    # T-5: 0 disbursed writes no income row; recipient's Country (a nested title object) Brazil -> LAC;
    # no duration: ends on its start day
    {
        "Identifier": "T-5",
        "Title": "School",
        "Currency": "GBP",
        "Amount Awarded": 300,
        "Amount Disbursed": 0,
        "Award Date": "2018-07-01",
        **FUNDER,
        "Planned Dates:Start Date": "2024-01-01",
        "Recipient Org": {"Name": "Escola", "Country": "Brazil"},
    },
    # T-6: the code wins over the name (IN -> AO, not Kenya); the actual start 2020-02-02 is the
    # start (no planned dates) and dates the 80 paid
    {
        "Identifier": "T-6",
        "Title": "Both",
        "Currency": "GBP",
        "Amount Awarded": 80,
        "Amount Disbursed": 80,
        "Award Date": "2020-01-01",
        **FUNDER,
        "Actual Dates:Start Date": "2020-02-02",
        "Beneficiary Location:Country Code": "IN",
        "Beneficiary Location:Name": "Kenya",
    },
    # T-7: nowhere known: GLOBAL, with a note naming the place
    {
        "Identifier": "T-7",
        "Title": "Nowhere",
        "Currency": "GBP",
        "Amount Awarded": 10,
        "Award Date": "2020-01-01",
        **FUNDER,
        "Beneficiary Location:Name": "Atlantis",
    },
    # T-8: not a currency: both amounts rejected under the currency as published, upper-cased
    {
        "Identifier": "T-8",
        "Title": "Odd",
        "Currency": "xyz",
        "Amount Awarded": 70,
        "Amount Disbursed": 20,
        "Award Date": "2020-01-01",
        **FUNDER,
    },
]


def test_title_keyed_json(tmp_path):
    path = tmp_path / "titles.json"
    path.write_text(json.dumps({"grants": GRANTS}))
    out = tmp_path / "out"
    import_360giving([path], out)
    agreements = rows_by_id(out, "agreements", "agreement_id")
    assert {key: agreement(row) for key, row in agreements.items()} == {
        "T-1~AF": ("2020-03-15", "2022-03-15", "1200.50", "GBP"),
        "T-2~AF": ("2021-02-01", "2023-02-01", "300.00", "GBP"),
        "T-2~LAC": ("2021-02-01", "2023-02-01", "300.00", "GBP"),
        "T-2~EU": ("2021-02-01", "2023-02-01", "300.00", "GBP"),
        "T-3~AF": ("2019-06-01", "2020-12-01", "1000.00", "GBP"),
        "T-4~AF": ("2022-01-01", "2023-01-01", "500.00", "GBP"),
        "T-5~LAC": ("2024-01-01", "2024-01-01", "300.00", "GBP"),
        "T-6~AO": ("2020-02-02", "2020-02-02", "80.00", "GBP"),
        "T-7~GLOBAL": ("2020-01-01", "2020-01-01", "10.00", "GBP"),
    }
    assert {row["partner_id"] for row in agreements.values()} == {"GB-CHC-100"}
    income = {
        row["transaction_id"]: (row["transaction_date"], row["amount"], row["agreement_id"])
        for row in read_csv(out / "transactions.csv")
    }
    assert income == {  # nothing for T-5 (0 disbursed)
        "T-3#disbursed~AF": ("2019-06-01", "400.00", "T-3~AF"),
        "T-4#disbursed~AF": ("2020-06-30", "250.00", "T-4~AF"),
        "T-6#disbursed~AO": ("2020-02-02", "80.00", "T-6~AO"),
    }
    notes = {(row["path"].split()[-1], row["note"]) for row in read_csv(out / "import_notes.csv")}
    assert ("T-4", "no usable beneficiary location: recipient's country KE used") in notes
    assert ("T-4", "disbursement dated at dateModified 2020-06-30, by when it was paid, not at 2022-01-01") in notes
    assert ("T-5", "amountDisbursed is 0: no income row") in notes
    assert ("T-5", "no usable beneficiary location: recipient's country BR used") in notes
    assert ("T-2", "3 beneficiary places without shares: split equally") in notes
    assert ("T-7", "beneficiary location 'Atlantis' not recognised") in notes
    assert ("T-7", "no usable beneficiary location or recipient country: GLOBAL") in notes
    rejects = [(r["source_type"], r["currency"], r["amount"]) for r in read_csv(out / "rejects.csv")]
    assert rejects == [("amountAwarded", "XYZ", "70"), ("amountDisbursed", "XYZ", "20")]
    # awarded 1200.50 + 900 + 1000 + 500 + 300 + 80 + 10 = 3990.50, all committed;
    # disbursed 400 + 250 + 0 + 80 = 730, all support; XYZ all rejected
    summary = {
        (r["currency"], r["source_type"]): (
            Decimal(r["published"]),
            Decimal(r["support"]),
            Decimal(r["commitment"]),
            Decimal(r["rejected"]),
            Decimal(r["unaccounted"]),
        )
        for r in read_csv(out / "import_summary.csv")
    }
    assert summary == {
        ("GBP", "amountAwarded"): (Decimal("3990.50"), 0, Decimal("3990.50"), 0, 0),
        ("GBP", "amountDisbursed"): (Decimal(730), Decimal(730), 0, 0, 0),
        ("XYZ", "amountAwarded"): (Decimal(70), 0, 0, Decimal(70), 0),
        ("XYZ", "amountDisbursed"): (Decimal(20), 0, 0, Decimal(20), 0),
    }


def test_region_name_outside_the_mapping_in_use_is_global(tmp_path):
    # an office's mapping with only EU and GLOBAL: "Eastern Africa" names AF, which it lacks;
    # Kenya is the office's EU
    regions = tmp_path / "regions"
    regions.mkdir()
    (regions / "regions.csv").write_text("region_code,region_name\nEU,Europe\nGLOBAL,Global\n")
    (regions / "countries.csv").write_text("country_code,country_name,region_code\nKE,Kenya,EU\n")
    grants = [
        {
            "Identifier": f"R-{i}",
            "Currency": "GBP",
            "Amount Awarded": 10,
            "Award Date": "2020-01-01",
            **FUNDER,
            "Beneficiary Location:Name": place,
        }
        for i, place in enumerate(["Eastern Africa", "Kenya"])
    ]
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"grants": grants}))
    import_360giving([path], tmp_path / "out", regions_dir=regions)
    assert sorted(rows_by_id(tmp_path / "out", "agreements", "agreement_id")) == ["R-0~GLOBAL", "R-1~EU"]
    notes = [row["note"] for row in read_csv(tmp_path / "out" / "import_notes.csv")]
    assert "place names region AF, which the region mapping lacks: GLOBAL" in notes


# --- a spreadsheet in the standard's titles -------------------------------------------------


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    """A minimal workbook: one sheet, strings inline, numbers as numbers."""

    def cell(column: int, row: int, value: object) -> str:
        ref = f"{chr(65 + column) if column < 26 else 'A' + chr(39 + column)}{row}"
        if isinstance(value, (int, float)):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>' if value != "" else ""

    sheet = "".join(
        f'<row r="{r}">{"".join(cell(c, r, v) for c, v in enumerate(values))}</row>'
        for r, values in enumerate(rows, start=1)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            f'<sheet name="Grants" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        book.writestr(
            "xl/worksheets/sheet1.xml", f'<worksheet xmlns="{main}"><sheetData>{sheet}</sheetData></worksheet>'
        )


HEADER = [
    "Identifier",
    "Title",
    "Currency",
    "Amount Awarded",
    "Amount Disbursed",
    "Award Date",
    "Last Modified",
    "Funding Org:Identifier",
    "Funding Org:Name",
    "Planned Dates:Start Date",
    "Planned Dates:Duration (months)",
    "Beneficiary Location:Name",
    "Beneficiary Location:Country Code",
    "Beneficiary Location:Name",
    "Recipient Org:Country",
]


def test_spreadsheet_in_the_standards_titles(tmp_path):
    path = tmp_path / "grants.xlsx"
    write_xlsx(
        path,
        [
            HEADER,
            # 1000.1 is the double 1000.1 -> 1000.10; two region names in the repeated Name
            # column: 500.05 to AF (Sub-Saharan Africa) and LAC (Latin America); 36 months from
            # 2020-02-01; award 43831 = 2020-01-01 (Excel serial); 0 disbursed: no income row
            [
                "X-1",
                "Two regions",
                "GBP",
                1000.1,
                0,
                43831,
                "",
                "GB-CHC-200",
                "Dale Fund",
                "2020-02-01",
                36,
                "Sub-Saharan Africa",
                "",
                "Latin America",
                "United Kingdom",
            ],
            # code ET before the name -> AF; "1 year" from the award 2021-04-01; 300 undated,
            # paid at the start 2021-04-01 (not after Last Modified 2021-12-31)
            [
                "X-2",
                "Addis",
                "GBP",
                600,
                300,
                "2021-04-01",
                "2021-12-31",
                "GB-CHC-200",
                "Dale Fund",
                "",
                "1 year",
                "Addis Ababa",
                "ET",
                "",
                "",
            ],
            # a UK town -> GB -> EU; award 44222 = 2021-01-26; no duration: ends that day
            ["X-3", "Leeds centre", "GBP", 50, "", 44222, "", "GB-CHC-200", "Dale Fund", "", "", "Leeds", "", "", ""],
        ],
    )
    out = tmp_path / "out"
    summary = import_360giving([path], out)
    assert summary.activities == 3
    agreements = rows_by_id(out, "agreements", "agreement_id")
    assert {key: agreement(row) for key, row in agreements.items()} == {
        "X-1~AF": ("2020-02-01", "2023-02-01", "500.05", "GBP"),
        "X-1~LAC": ("2020-02-01", "2023-02-01", "500.05", "GBP"),
        "X-2~AF": ("2021-04-01", "2022-04-01", "600.00", "GBP"),
        "X-3~EU": ("2021-01-26", "2021-01-26", "50.00", "GBP"),
    }
    (income,) = read_csv(out / "transactions.csv")
    assert (income["transaction_id"], income["transaction_date"], income["amount"]) == (
        "X-2#disbursed~AF",
        "2021-04-01",
        "300.00",
    )
    summary_rows = {
        r["source_type"]: (r["published"], r["commitment"], r["support"], r["unaccounted"])
        for r in read_csv(out / "import_summary.csv")
    }
    assert {k: tuple(Decimal(x) for x in v) for k, v in summary_rows.items()} == {
        "amountAwarded": (Decimal("1650.1"), Decimal("1650.1"), 0, 0),
        "amountDisbursed": (Decimal(300), 0, Decimal(300), 0),
    }


def test_header_without_amount_awarded_is_refused(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("Identifier,Amount Applied For\nG-1,10\n")
    with pytest.raises(ImportFailure, match="no 'Amount Awarded' column"):
        import_360giving([path], tmp_path / "out")
    assert not (tmp_path / "out" / "agreements.csv").exists()
