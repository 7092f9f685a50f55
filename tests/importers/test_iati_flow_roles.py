"""Every IATI flow counted once, from the side that receives it (pipelines/importers/flows.py).

Hand-made files; the expected rows and sums are worked out in the comments. The worked
example of docs/importers.md is `test_donor_and_intermediary_in_one_file`.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from pipelines.importers.iati import import_iati
from pipelines.ingest.load import load_package
from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.marts import read_staging_frames
from tests.importers.sources import read_csv, summary_sums
from tests.importers.test_iati_mapping import write


def tx(code: str, value: str, day: str, provider: str = "", receiver: str = "", currency: str = "") -> str:
    cur = f' currency="{currency}"' if currency else ""
    return (
        f'<transaction><transaction-type code="{code}"/><transaction-date iso-date="{day}"/>'
        f"<value{cur}>{value}</value>{provider}{receiver}</transaction>"
    )


DONOR = '<provider-org ref="XM-DONOR" type="10"><narrative>Donor Agency</narrative></provider-org>'
FROM_INTERMEDIARY = '<provider-org ref="XI-INT" type="21"><narrative>Intermediary</narrative></provider-org>'
TO_IMPLEMENTER = '<receiver-org ref="XI-IMPL" type="22"><narrative>Implementer</narrative></receiver-org>'
TO_ITSELF = '<receiver-org ref="XI-INT" type="21"><narrative>Intermediary</narrative></receiver-org>'

# An intermediary reports, in one activity in Kenya (AF): the commitment it received (11)
# and the funds it received (1) from the donor, the commitment it made to an implementer
# (2), and two disbursements (3) passed on: to the implementer and to itself.
INTERMEDIARY = (
    '<iati-activity default-currency="USD"><iati-identifier>XI-INT-1</iati-identifier>'
    '<reporting-org ref="XI-INT" type="21"><narrative>Intermediary</narrative></reporting-org>'
    '<participating-org ref="XM-DONOR" role="1" type="10"><narrative>Donor Agency</narrative></participating-org>'
    '<recipient-country code="KE"/>'
    + tx("11", "1000000", "2024-01-15", provider=DONOR)
    + tx("1", "600000", "2024-02-01", provider=DONOR)
    + tx("2", "900000", "2024-02-10", provider=FROM_INTERMEDIARY, receiver=TO_IMPLEMENTER)
    + tx("3", "550000", "2024-03-01", provider=FROM_INTERMEDIARY, receiver=TO_IMPLEMENTER)
    + tx("3", "40000", "2024-03-01", provider=FROM_INTERMEDIARY, receiver=TO_ITSELF)
    + "</iati-activity>"
)

# A donor reports its own activity in Nepal (AO): a commitment (2), a disbursement (3) to
# a library that publishes nothing, and an expenditure (4) paying a supplier directly.
DONOR_IN_NEPAL = (
    '<iati-activity default-currency="EUR"><iati-identifier>XM-DONOR-2</iati-identifier>'
    '<reporting-org ref="XM-DONOR" type="10"><narrative>Donor Agency</narrative></reporting-org>'
    '<recipient-country code="NP"/>'
    + tx("2", "300000", "2024-01-10")
    + tx(
        "3", "120000", "2024-03-01", receiver='<receiver-org ref="NP-LIB"><narrative>Library</narrative></receiver-org>'
    )
    + tx("4", "30000", "2024-04-01", receiver="<receiver-org><narrative>Printing supplier</narrative></receiver-org>")
    + "</iati-activity>"
)

# The donor's own record of the money it gave the intermediary: its commitment names the
# intermediary's activity; its disbursement names only the organisation.
DONOR_TO_INTERMEDIARY = (
    '<iati-activity default-currency="USD"><iati-identifier>XM-DONOR-1</iati-identifier>'
    '<reporting-org ref="XM-DONOR" type="10"><narrative>Donor Agency</narrative></reporting-org>'
    '<recipient-country code="KE"/>'
    + tx(
        "2",
        "1000000",
        "2024-01-15",
        receiver='<receiver-org ref="XI-INT" receiver-activity-id="XI-INT-1">'
        "<narrative>Intermediary</narrative></receiver-org>",
    )
    + tx(
        "3",
        "600000",
        "2024-02-01",
        receiver='<receiver-org ref="XI-INT"><narrative>Intermediary</narrative></receiver-org>',
    )
    + "</iati-activity>"
)


def marts_2024(out) -> dict[str, dict]:
    """The package loaded and the metrics computed: region -> its 2024 row."""
    conn = duckdb.connect()
    report = load_package(out, conn, reporting_currency="EUR")
    assert report.rows_rejected == 0
    rows = compute_region_metrics(read_staging_frames(conn)).sustainability
    return {r["region_code"]: r for r in rows.filter(period="2024").to_dicts()}


def eur(out, currency: str, amount: str) -> Decimal:
    """amount converted at the package's 2024 rate for the currency, rounded to cents."""
    rate = {
        r["currency"]: Decimal(r["eur_per_unit"])
        for r in read_csv(out / "fx_rates.csv")
        if r["rate_date"] == "2024-01-01"
    }[currency]
    return (Decimal(amount) * rate).quantize(Decimal("0.01"))


def test_intermediary_counts_what_it_received_and_keeps_what_it_passed_on(tmp_path):
    """Support is the 600,000 received from the donor, the commitment the 1,000,000 the
    donor committed; the 900,000 committed and 550,000 + 40,000 disbursed onwards are
    pass-through. Before, 1 and 3 were both income (1,190,000, of which 590,000 from the
    intermediary itself) and 2 and 11 both commitments (1,900,000)."""
    out = tmp_path / "out"
    import_iati([write(tmp_path, INTERMEDIARY)], out)

    (agreement,) = read_csv(out / "agreements.csv")
    assert (agreement["partner_id"], agreement["region_code"], agreement["committed_amount"]) == (
        "XM-DONOR",
        "AF",
        "1000000.00",
    )
    (income,) = read_csv(out / "transactions.csv")
    assert (income["amount"], income["source_type"], income["agreement_id"]) == (
        "600000.00",
        "1",
        agreement["agreement_id"],
    )
    assert [p["partner_id"] for p in read_csv(out / "partners.csv")] == ["XM-DONOR"]

    passed = read_csv(out / "pass_through.csv")
    assert [(p["source_type"], p["amount"], p["receiver"], p["region_code"]) for p in passed] == [
        ("2", "900000.00", "Implementer", "AF"),
        ("3", "550000.00", "Implementer", "AF"),
        ("3", "40000.00", "Intermediary", "AF"),
    ]
    notes = [n["note"] for n in read_csv(out / "import_notes.csv")]
    assert sum("pass-through, not support" in n for n in notes) == 3

    summary = summary_sums(out)
    assert summary[("USD", "11")]["commitment"] == Decimal("1000000")
    assert summary[("USD", "1")]["support"] == Decimal("600000")
    assert summary[("USD", "2")]["pass_through"] == Decimal("900000")
    assert summary[("USD", "3")]["pass_through"] == Decimal("590000")
    assert all(s["unaccounted"] == 0 for s in summary.values())

    africa = marts_2024(out)["AF"]
    assert africa["top_funder_id"] == "XM-DONOR" and africa["top_funder_share"] == 1.0
    assert africa["support_eur"] == eur(out, "USD", "600000")
    assert africa["funder_count"] == 1


def test_donor_disbursement_and_direct_expenditure_are_support_not_spending(tmp_path):
    """The donor's 120,000 disbursement and its 30,000 paid to a supplier are support to
    Asia-Oceania from the donor (150,000 EUR); the region records no spending of its own."""
    out = tmp_path / "out"
    import_iati([write(tmp_path, DONOR_IN_NEPAL)], out)

    (agreement,) = read_csv(out / "agreements.csv")
    assert (agreement["partner_id"], agreement["region_code"], agreement["committed_amount"]) == (
        "XM-DONOR",
        "AO",
        "300000.00",
    )
    support = read_csv(out / "transactions.csv")
    assert sorted((t["source_type"], t["amount"], t["transaction_type"]) for t in support) == [
        ("3", "120000.00", "income"),
        ("4", "30000.00", "income"),
    ]
    assert read_csv(out / "expenditures.csv") == []
    assert any(
        "paying suppliers directly: counted as support from XM-DONOR" in n["note"]
        for n in read_csv(out / "import_notes.csv")
    )

    asia = marts_2024(out)["AO"]
    assert asia["support_eur"] == Decimal("150000.00")
    assert asia["expenditure_eur"] == Decimal("0.00")
    assert asia["top_funder_id"] == "XM-DONOR"


def test_donor_and_intermediary_in_one_file(tmp_path):
    """The donor also reports what it gave the intermediary (2: 1,000,000, 3: 600,000
    USD). The intermediary reports receiving both, so the donor's side is pass-through:
    the commitment is linked by receiver-activity-id, the disbursement by the receiving
    organisation (XI-INT reports receiving income from XM-DONOR). Kenya: support 600,000
    USD and commitment 1,000,000 USD, once each; Nepal as in the donor-only file."""
    out = tmp_path / "out"
    summary = import_iati([write(tmp_path, DONOR_TO_INTERMEDIARY + INTERMEDIARY + DONOR_IN_NEPAL)], out)

    committed = {(a["partner_id"], a["region_code"]): a["committed_amount"] for a in read_csv(out / "agreements.csv")}
    assert committed == {("XM-DONOR", "AF"): "1000000.00", ("XM-DONOR", "AO"): "300000.00"}
    support = {(t["transaction_id"], t["amount"]) for t in read_csv(out / "transactions.csv")}
    assert support == {
        ("XI-INT-1#2~AF", "600000.00"),
        ("XM-DONOR-2#2~AO", "120000.00"),
        ("XM-DONOR-2#3~AO", "30000.00"),
    }
    donor_side = [p for p in read_csv(out / "pass_through.csv") if p["activity_id"] == "XM-DONOR-1"]
    assert [(p["source_type"], p["amount"]) for p in donor_side] == [("2", "1000000.00"), ("3", "600000.00")]
    assert "activity XI-INT-1 reports receiving it" in donor_side[0]["reason"]
    assert "XI-INT reports receiving it from XM-DONOR" in donor_side[1]["reason"]
    assert summary.partners == {"XM-DONOR"}

    marts = marts_2024(out)
    assert marts["AF"]["support_eur"] == eur(out, "USD", "600000")
    assert marts["AO"]["support_eur"] == Decimal("150000.00")
    assert (marts["AF"]["top_funder_id"], marts["AO"]["top_funder_id"]) == ("XM-DONOR", "XM-DONOR")
    # the whole organisation: USD 600,000 + EUR 150,000, each once
    assert marts["ALL"]["support_eur"] == eur(out, "USD", "600000") + Decimal("150000.00")


def test_implementer_spending_stays_expenditure(tmp_path):
    """An organisation reporting only expenditure (4), funded by someone else, records
    its own spending in the region: expenditure, no partner (as UNOPS does)."""
    body = (
        '<iati-activity default-currency="USD"><iati-identifier>XI-IMPL-9</iati-identifier>'
        '<reporting-org ref="XI-IMPL" type="22"><narrative>Implementer</narrative></reporting-org>'
        '<participating-org ref="XM-DONOR" role="1"/><recipient-country code="KE"/>'
        + tx("4", "70", "2024-05-01")
        + "</iati-activity>"
    )
    out = tmp_path / "out"
    import_iati([write(tmp_path, body)], out)
    assert [(e["amount"], e["region_code"]) for e in read_csv(out / "expenditures.csv")] == [("70.00", "AF")]
    assert read_csv(out / "transactions.csv") == [] and read_csv(out / "agreements.csv") == []


def test_reporter_listed_as_funder_makes_its_expenditure_support(tmp_path):
    """The reporter is a Funding participating-org of the activity and reports only
    expenditure: a donor paying suppliers directly, so support from the donor."""
    body = (
        '<iati-activity default-currency="USD"><iati-identifier>XM-DONOR-7</iati-identifier>'
        '<reporting-org ref="XM-DONOR" type="10"><narrative>Donor Agency</narrative></reporting-org>'
        '<participating-org ref="xm-donor" role="1"/><recipient-country code="KE"/>'
        + tx("4", "70", "2024-05-01")
        + "</iati-activity>"
    )
    out = tmp_path / "out"
    import_iati([write(tmp_path, body)], out)
    assert [(t["amount"], t["source_type"]) for t in read_csv(out / "transactions.csv")] == [("70.00", "4")]
    assert read_csv(out / "expenditures.csv") == []


def test_incoming_pledge_makes_a_receiver_but_is_not_money(tmp_path):
    """13 (incoming pledge) marks the activity as a receiver, so its disbursement is
    pass-through; the pledge itself is rejected (a pledge is not a commitment)."""
    body = (
        '<iati-activity default-currency="USD"><iati-identifier>XI-INT-3</iati-identifier>'
        '<reporting-org ref="XI-INT" type="21"/><recipient-country code="KE"/>'
        + tx("13", "500", "2024-01-01", provider=DONOR)
        + tx("3", "200", "2024-02-01")
        + "</iati-activity>"
    )
    out = tmp_path / "out"
    import_iati([write(tmp_path, body)], out)
    (reject,) = read_csv(out / "rejects.csv")
    assert (reject["source_type"], reject["amount"]) == ("13", "500")
    assert "Incoming Pledge" in reject["reason"]
    assert [p["amount"] for p in read_csv(out / "pass_through.csv")] == ["200.00"]
    assert read_csv(out / "transactions.csv") == []
