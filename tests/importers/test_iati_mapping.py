"""IATI mapping: counts verified by hand on real files, and every quirk of SOURCES.md on
small hand-made files whose expected rows are worked out in the comments."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.importers.iati import import_iati
from tests.importers.sources import EXTERNAL, read_csv

V2 = EXTERNAL / "iati" / "activities" / "v2"


def write(
    tmp_path: Path, body: str, name: str = "a.xml", root: str = '<iati-activities version="2.03">', newline: str = "\n"
) -> Path:
    path = tmp_path / "in" / name
    path.parent.mkdir(exist_ok=True)
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n{root}\n{body}\n</iati-activities>\n'
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def rows(out: Path, table: str) -> list[dict[str, str]]:
    return read_csv(out / f"{table}.csv")


# --- counts checked by hand on real files ---------------------------------------------


def test_canada_counts_and_split_by_hand(tmp_path):
    """canada-activity.xml, read by eye: one activity; no provider-org, so the partner is
    the funding participating-org ref "CA" (type 10); seven countries: BF, CI, ML (Africa:
    14.29 + 14.29 + 14.28 = 42.86 %), BO, NI (LAC: 14.29 + 14.28 = 28.57 %), KH, VN
    (Asia-Oceania: 14.28 + 14.29 = 28.57 %), total 100. One commitment of 19,570,705 CAD:
    AF 1,957,070,500 c x 0.4286 = 838,800,416.3 c -> 838,800,416
    LAC, AO  x 0.2857 = 559,135,041.85 c each -> 559,135,041, two cents left over go to
    the largest remainders (.85, .85): LAC and AO 559,135,042 c."""
    summary = import_iati([V2 / "canada-activity.xml"], tmp_path)
    assert summary.activities == 1
    assert summary.partners == {"CA"}
    assert summary.regions == {"AF", "AO", "LAC"}
    committed = {r["region_code"]: r["committed_amount"] for r in rows(tmp_path, "agreements")}
    assert committed == {"AF": "8388004.16", "LAC": "5591350.42", "AO": "5591350.42"}
    assert rows(tmp_path, "partners")[0]["partner_type"] == "government"
    # the title comes first in French; the English narrative (xml:lang="EN") is preferred
    assert (
        rows(tmp_path, "agreements")[0]["title"]
        == "Partnerships for Municipal Innovation in Local Economic Development"
    )
    # 12 disbursements, each split into the same three regions
    assert len(rows(tmp_path, "transactions")) == 36


def test_syria_relief_counts_by_hand(tmp_path):
    """sr-activity.xml: one activity declaring default-currency USD but both values in
    GBP; countries TR, SY, IQ, JO (25 % each, all M49 Western Asia -> MENA); type 1 income
    of 19,504,521 from a provider-org with a name and no ref; type 4 expenditure of
    20,801,890. So 1 partner, 1 region, and no commitment: the agreement holding the income
    commits 0."""
    summary = import_iati([V2 / "sr-activity.xml"], tmp_path)
    assert (summary.activities, len(summary.partners), summary.regions) == (1, 1, {"MENA"})
    (income,) = rows(tmp_path, "transactions")
    (spent,) = rows(tmp_path, "expenditures")
    (agreement,) = rows(tmp_path, "agreements")
    assert (income["amount"], income["currency"]) == ("19504521.00", "GBP")
    assert (spent["amount"], spent["currency"], spent["region_code"]) == ("20801890.00", "GBP", "MENA")
    assert (agreement["committed_amount"], income["agreement_id"]) == ("0.00", agreement["agreement_id"])


def test_unops_counts_by_hand(tmp_path):
    """unops-at-activity.xml: three activities, each with one expenditure in Austria
    (M49 Western Europe -> EU): 1,321,549 + 671,101 + 50,890,905 = 52,883,555 USD.
    Expenditures have no partner, so no partner and no agreement is written."""
    summary = import_iati([V2 / "unops-at-activity.xml"], tmp_path)
    assert (summary.activities, summary.partners, summary.regions) == (3, set(), {"EU"})
    spent = rows(tmp_path, "expenditures")
    assert sum(Decimal(r["amount"]) for r in spent) == Decimal("52883555")
    assert rows(tmp_path, "agreements") == []


# --- quirks (SOURCES.md numbers in brackets) -----------------------------------------


def activity(body: str, attrs: str = 'default-currency="USD"', ident: str = "XX-1-A") -> str:
    return (
        f"<iati-activity {attrs}><iati-identifier>{ident}</iati-identifier>"
        f'<reporting-org ref="XX-REP" type="21"><narrative>Reporter</narrative></reporting-org>{body}</iati-activity>'
    )


def tx(code: str, value: str, day: str = "2020-03-01", value_attrs: str = "", extra: str = "") -> str:
    return (
        f'<transaction><transaction-type code="{code}"/><transaction-date iso-date="{day}"/>'
        f"<value{value_attrs}>{value}</value>{extra}</transaction>"
    )


def test_c1_character_references_become_cp1252_punctuation(tmp_path):
    # [12] concern-universal writes &#x92; for ’ and &#x96; for –
    body = activity(
        '<title>Concern Universal&#x92;s work &#x96; Malawi</title><recipient-country code="MW"/>'
        + tx("C", "100", value_attrs=' currency="GBP"')
    )
    import_iati([write(tmp_path, body, root='<iati-activities version="1.0">')], tmp_path / "out")
    assert rows(tmp_path / "out", "agreements")[0]["title"] == "Concern Universal’s work – Malawi"


@pytest.mark.parametrize("role", ["Funding", "funding", "FUNDING", "1"])
def test_v1_letter_codes_and_word_roles_in_any_case(tmp_path, role):
    """[11] C = commitment, D = disbursement, IF = incoming funds, E = expenditure; the
    funder is the funding org, named by role in any case. Three 1.0x activities in Malawi
    (AF), each in the role docs/importers.md gives it (flows.py):
    - a donor's (no money received): C 1000 is the commitment, D 400 support;
    - a receiver's: IF 100 is support from the funding org, its D 30 pass-through;
    - an implementer's (only E, the reporter not a funder): E 250 is expenditure."""
    funder = f'<participating-org ref="XX-FUND" role="{role}" type="10">Funder</participating-org>'
    malawi = '<recipient-country code="MW">Malawi</recipient-country>'
    body = (
        activity(funder + malawi + tx("C", "1000") + tx("D", "400"), ident="XX-1-DONOR")
        + activity(funder + malawi + tx("IF", "100") + tx("D", "30"), ident="XX-1-RECEIVER")
        + activity(funder + malawi + tx("E", "250"), ident="XX-1-IMPL")
    )
    summary = import_iati([write(tmp_path, body, root='<iati-activities version="1.01">')], tmp_path / "out")
    out = tmp_path / "out"
    # the receiver's income needs an agreement: one of 0 is made for it (nothing committed)
    committed = {a["agreement_id"]: a["committed_amount"] for a in rows(out, "agreements")}
    assert committed == {"XX-1-DONOR~XX-FUND~USD~AF": "1000.00", "XX-1-RECEIVER~XX-FUND~USD~AF": "0.00"}
    assert sorted((r["source_type"], r["amount"]) for r in rows(out, "transactions")) == [
        ("D", "400.00"),
        ("IF", "100.00"),
    ]
    assert [(r["source_type"], r["amount"]) for r in rows(out, "pass_through")] == [("D", "30.00")]
    assert [r["amount"] for r in rows(out, "expenditures")] == ["250.00"]
    assert summary.partners == {"XX-FUND"}


def test_vocab_attribute_and_dac_word_are_read(tmp_path):
    # [11] 1.0x writes vocab= (and sometimes the word DAC); 589 Middle East -> MENA
    body = activity('<recipient-region code="589" vocab="DAC"/>' + tx("D", "10"))
    import_iati([write(tmp_path, body)], tmp_path / "out")
    assert rows(tmp_path / "out", "transactions")[0]["transaction_id"].endswith("~MENA")


def test_missing_currency_takes_default_and_value_currency_wins(tmp_path):
    # [1] no @currency -> default-currency USD; [3] @currency GBP beats the default
    body = activity('<recipient-country code="KE"/>' + tx("D", "10") + tx("D", "20", value_attrs=' currency="GBP"'))
    import_iati([write(tmp_path, body)], tmp_path / "out")
    assert sorted((r["amount"], r["currency"]) for r in rows(tmp_path / "out", "transactions")) == [
        ("10.00", "USD"),
        ("20.00", "GBP"),
    ]


def test_no_currency_at_all_is_rejected_with_its_amount(tmp_path):
    # [2] no default-currency and no @currency: nothing to convert with
    body = activity('<recipient-country code="KE"/>' + tx("D", "75"), attrs="")
    import_iati([write(tmp_path, body)], tmp_path / "out")
    (reject,) = rows(tmp_path / "out", "rejects")
    assert (reject["amount"], reject["currency"]) == ("75", "")
    assert "no value/@currency" in reject["reason"]


def test_xdr_rate_is_derived_from_imf_per_usd_rates(tmp_path):
    """[3] IFAD reports in XDR. IMF 2020 annual averages per USD: EUR 0.875506396987998,
    XDR 0.717936734517021, so EUR per XDR = 0.875506396987998 / 0.717936734517021
    = 1.21947... rounded half-even to 12 decimals."""
    body = activity(
        '<recipient-country code="LR"/>' + tx("D", "500", value_attrs=' currency="XDR" value-date="2020-05-05"')
    )
    import_iati([write(tmp_path, body)], tmp_path / "out")
    rates = {(r["currency"], r["rate_date"]): r["eur_per_unit"] for r in rows(tmp_path / "out", "fx_rates")}
    expected = (Decimal("0.875506396987998") / Decimal("0.717936734517021")).quantize(Decimal("1e-12"))
    assert rates == {("XDR", "2020-01-01"): str(expected)}
    assert rows(tmp_path / "out", "fx_rates")[0]["source"] == "IMF annual average (importer fallback)"
    assert str(expected).startswith("1.21947")


def test_value_date_is_kept_for_fx_and_transaction_date_for_the_period(tmp_path):
    # [4] sida: value-date 2012-01-01, transaction 2009-06-30
    body = activity(
        '<recipient-country code="KE"/>' + tx("D", "5", day="2009-06-30", value_attrs=' value-date="2012-01-01"')
    )
    import_iati([write(tmp_path, body)], tmp_path / "out")
    (row,) = rows(tmp_path / "out", "transactions")
    assert (row["transaction_date"], row["value_date"]) == ("2009-06-30", "2012-01-01")
    assert {r["rate_date"][:4] for r in rows(tmp_path / "out", "fx_rates")} >= {"2009", "2012"}


def test_values_over_two_to_the_31_stay_exact(tmp_path):
    # [6] usg has 2,663,000,000; covid KRW 2.48e11
    body = activity(
        '<recipient-country code="BR"/>'
        + tx("C", "2663000000")
        + tx("D", "248000000000.5", value_attrs=' currency="KRW"')
    )
    import_iati([write(tmp_path, body)], tmp_path / "out")
    out = tmp_path / "out"
    assert rows(out, "agreements")[0]["committed_amount"] == "2663000000.00"
    assert rows(out, "transactions")[0]["amount"] == "248000000000.50"


def test_namespaced_attributes_and_unknown_elements_are_ignored(tmp_path):
    # [10] D-Portal attributes, a registry record, an extension element with a value inside
    root = (
        '<iati-activities xmlns:dstore="http://d-portal.org/xmlns/dstore" xmlns:usg="http://usaid.gov/ns" '
        'xmlns:ir="http://iatiregistry.org/ns/record#" version="2.03">'
        '<ir:registry-record><ir:field name="x"/></ir:registry-record>'
    )
    body = activity(
        '<recipient-country code="KE"/><usg:extra><value>999</value></usg:extra>' + tx("D", "7"),
        attrs='default-currency="USD" dstore:dataset="d" ns1:version="2.02" xmlns:ns1="urn:x"',
    )
    summary = import_iati([write(tmp_path, body, root=root)], tmp_path / "out")
    assert summary.activities == 1
    assert [r["amount"] for r in rows(tmp_path / "out", "transactions")] == ["7.00"]


def test_crlf_file_without_declaration_and_single_quotes(tmp_path):
    # [12] spain has CRLF line endings; beis has no XML declaration and single quotes
    path = tmp_path / "crlf.xml"
    path.write_bytes(
        b"\n<iati-activities version='2.01'>\r\n<iati-activity default-currency='EUR'>\r\n"
        b"<iati-identifier>ES-1-X\r\n</iati-identifier>\r\n<reporting-org ref='ES-DIR3' type='10'/>\r\n"
        b"<recipient-country code='ID' percentage='100'/>\r\n"
        b"<transaction><transaction-type code='2'/><transaction-date iso-date='2012-01-01'/>"
        b"<value currency='EUR'>0</value></transaction>\r\n</iati-activity>\r\n</iati-activities>"
    )
    import_iati([path], tmp_path / "out")
    (agreement,) = rows(tmp_path / "out", "agreements")
    # the identifier is trimmed of its CRLF; [5] a zero commitment is a valid agreement of 0
    assert agreement["agreement_id"] == "ES-1-X~ES-DIR3~EUR~AO"
    assert agreement["committed_amount"] == "0.00"


def test_broken_people_in_need_transactions_are_rejected_not_crashing(tmp_path):
    # [9] code as element text, amount in iso-date, empty value
    broken = (
        '<transaction><transaction-type>1</transaction-type><transaction-date iso-date="5000000">2020-05-01'
        '</transaction-date><value currency="CZK" value-date="2020-05-01"/></transaction>'
    )
    import_iati([write(tmp_path, activity('<recipient-country code="KE"/>' + broken))], tmp_path / "out")
    (reject,) = rows(tmp_path / "out", "rejects")
    assert "transaction-type has no @code" in reject["reason"] and reject["amount"] == ""


def test_percentages_not_summing_to_100_are_normalised_and_noted(tmp_path):
    # [7] KE 20 % + MX 20 %: normalised to 50/50; 100.00 -> AF 50.00, LAC 50.00
    body = activity(
        '<recipient-country code="KE" percentage="20"/><recipient-country code="MX" percentage="20"/>' + tx("D", "100")
    )
    summary = import_iati([write(tmp_path, body)], tmp_path / "out")
    amounts = {r["transaction_id"].rsplit("~")[-1]: r["amount"] for r in rows(tmp_path / "out", "transactions")}
    assert amounts == {"AF": "50.00", "LAC": "50.00"}
    assert summary.normalised == 1
    assert any("sum to 40: normalised" in n["note"] for n in rows(tmp_path / "out", "import_notes"))


def test_same_region_under_two_vocabularies_counts_once(tmp_path):
    # [7] UNDP: 289 (DAC) 100 % and R01 (publisher's own, vocabulary 99) 100 %: DAC used
    body = activity(
        '<recipient-region code="289" vocabulary="1" percentage="100"/>'
        '<recipient-region code="R01" vocabulary="99" percentage="100"/>' + tx("D", "10")
    )
    import_iati([write(tmp_path, body)], tmp_path / "out")
    assert [r["transaction_id"].rsplit("~")[-1] for r in rows(tmp_path / "out", "transactions")] == ["AF"]


def test_geography_on_transactions_or_nowhere(tmp_path):
    # [8] country only on the transaction; an activity with none at all goes to GLOBAL
    on_tx = activity(tx("D", "10", extra='<recipient-country code="IN"/>'), ident="XX-1-T")
    nowhere = activity(tx("D", "20"), ident="XX-1-N")
    import_iati([write(tmp_path, on_tx + nowhere)], tmp_path / "out")
    regions = {
        r["transaction_id"].split("#")[0]: r["transaction_id"].rsplit("~")[-1]
        for r in rows(tmp_path / "out", "transactions")
    }
    assert regions == {"XX-1-T": "AO", "XX-1-N": "GLOBAL"}


def test_negative_net_commitment_is_rejected_but_negative_income_kept(tmp_path):
    # [5] +100 and -300 committed to the same partner/currency/region: net -200 < 0,
    # so both commitment parts go to rejects (sum -200); a -50 refund stays as income.
    body = activity('<recipient-country code="KE"/>' + tx("2", "100") + tx("2", "-300") + tx("3", "-50"))
    import_iati([write(tmp_path, body)], tmp_path / "out")
    out = tmp_path / "out"
    assert sum(Decimal(r["amount"]) for r in rows(out, "rejects")) == Decimal("-200")
    assert [r["amount"] for r in rows(out, "transactions")] == ["-50.00"]
    assert rows(out, "agreements")[0]["committed_amount"] == "0.00"


def test_parent_whose_component_reports_money_is_not_counted_twice(tmp_path):
    # [14] parent P and component C both report; P's transaction is rejected
    parent = activity(
        '<recipient-country code="KE"/>' + tx("D", "100"), attrs='default-currency="USD" hierarchy="1"', ident="P"
    )
    child = activity(
        '<related-activity type="1" ref="P"/><recipient-country code="KE"/>' + tx("D", "100"),
        attrs='default-currency="USD" hierarchy="2"',
        ident="C",
    )
    import_iati([write(tmp_path, parent + child)], tmp_path / "out")
    out = tmp_path / "out"
    assert [r["transaction_id"] for r in rows(out, "transactions")] == ["C#1~AF"]
    assert "components also report" in rows(out, "rejects")[0]["reason"]


def test_empty_attributes_count_as_missing(tmp_path):
    # [13] currency="" falls back to the default currency
    body = activity('<recipient-country code="ID" percentage=""/>' + tx("D", "10", value_attrs=' currency=""'))
    import_iati([write(tmp_path, body)], tmp_path / "out")
    assert rows(tmp_path / "out", "transactions")[0]["currency"] == "USD"


def test_merge_into_existing_package_is_idempotent_and_keeps_own_reference_rows(tmp_path):
    out = tmp_path / "out"
    import_iati([V2 / "canada-activity.xml"], out)
    # the office renames a region in its package: an import must not overwrite it
    regions = (out / "regions.csv").read_text().replace("Asia-Oceania", "Asia and the Pacific")
    (out / "regions.csv").write_text(regions)
    import_iati([V2 / "sr-activity.xml"], out)
    first = {t: (out / f"{t}.csv").read_text() for t in ("agreements", "transactions", "rejects")}
    import_iati([V2 / "sr-activity.xml"], out)  # the same file again
    assert {t: (out / f"{t}.csv").read_text() for t in first} == first
    agreements = rows(out, "agreements")
    assert len(agreements) == 3 + 1  # canada's three regions + Syria Relief's one
    assert "Asia and the Pacific" in (out / "regions.csv").read_text()


def test_package_fx_rates_take_precedence_over_imf(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "fx_rates.csv").write_text("currency,rate_date,eur_per_unit\nUSD,2015-01-01,0.9\n")
    body = activity('<recipient-country code="KE"/>' + tx("D", "10", day="2020-01-01"))
    import_iati([write(tmp_path, body)], out)
    assert rows(out, "fx_rates") == [
        {"currency": "USD", "rate_date": "2015-01-01", "eur_per_unit": "0.9", "source": ""}
    ]


def test_fallback_rates_of_an_earlier_import_are_extended(tmp_path):
    # a first import needs USD in 2020; a second one in 2012: the IMF row written by the
    # first is not the office's own rate, so 2012 is added rather than refused
    out = tmp_path / "out"
    import_iati(
        [write(tmp_path, activity('<recipient-country code="KE"/>' + tx("D", "1", day="2020-06-01")), "a.xml")], out
    )
    import_iati(
        [
            write(
                tmp_path,
                activity('<recipient-country code="KE"/>' + tx("D", "2", day="2012-06-01"), ident="XX-1-B"),
                "b.xml",
            )
        ],
        out,
    )
    assert rows(out, "rejects") == []
    assert sorted(r["rate_date"] for r in rows(out, "fx_rates")) == ["2012-01-01", "2020-01-01"]


def test_more_than_two_decimals_rounded_with_remainder_in_rejects(tmp_path):
    # covid has 1112742.39948867: 1112742.40 written, -0.00051133 rejected
    body = activity('<recipient-country code="KE"/>' + tx("4", "1112742.39948867"))
    import_iati([write(tmp_path, body)], tmp_path / "out")
    out = tmp_path / "out"
    assert rows(out, "expenditures")[0]["amount"] == "1112742.40"
    assert rows(out, "rejects")[0]["amount"] == "-0.00051133"


def test_loans_are_marked_and_implausible_values_noted(tmp_path):
    # covid: MOFA Japan commits "USD" 200,000,000,000 to a loan (finance type 410);
    # at about 0.88 EUR per USD that is over EUR 10 billion: kept, but noted
    body = activity(
        '<default-finance-type code="410"/><recipient-country code="MA"/>'
        + tx("2", "200000000000", value_attrs=' value-date="2020-12-02"')
        + tx("3", "5", extra='<finance-type code="110"/>')
    )
    import_iati([write(tmp_path, body)], tmp_path / "out")
    out = tmp_path / "out"
    (agreement,) = rows(out, "agreements")
    assert (agreement["committed_amount"], agreement["finance_type"]) == ("200000000000.00", "410")
    assert rows(out, "transactions")[0]["finance_type"] == "110"
    assert [n["note"] for n in rows(out, "import_notes") if "10 billion" in n["note"]] == [
        "transaction[1] value 200000000000.00 USD is over EUR 10 billion: kept as published, check the source"
    ]


def test_region_mapping_is_configurable(tmp_path):
    # an office that reports East Africa separately: KE -> EAST_AFRICA, everything else GLOBAL
    mapping = tmp_path / "mapping"
    mapping.mkdir()
    (mapping / "regions.csv").write_text("region_code,region_name\nEAST_AFRICA,East Africa\n")
    (mapping / "country_regions.csv").write_text("country_code,country_name,region_code\nKE,Kenya,EAST_AFRICA\n")
    body = activity(
        '<recipient-country code="KE" percentage="50"/><recipient-country code="MX" percentage="50"/>' + tx("D", "10")
    )
    import_iati([write(tmp_path, body)], tmp_path / "out", regions_dir=mapping)
    out = tmp_path / "out"
    assert sorted(r["transaction_id"].rsplit("~")[-1] for r in rows(out, "transactions")) == ["EAST_AFRICA", "GLOBAL"]
    assert {r["region_code"] for r in rows(out, "regions")} == {"EAST_AFRICA", "GLOBAL"}


def test_region_codes_breaking_the_contract_pattern_are_refused(tmp_path):
    from pipelines.importers.package import ImportFailure

    (tmp_path / "regions.csv").write_text("region_code,region_name\neast-africa,East Africa\n")
    (tmp_path / "country_regions.csv").write_text("country_code,country_name,region_code\nKE,Kenya,east-africa\n")
    with pytest.raises(ImportFailure, match="'east-africa'"):
        import_iati([V2 / "sr-activity.xml"], tmp_path / "out", regions_dir=tmp_path)


def test_reimport_under_another_mapping_leaves_no_stale_rows(tmp_path):
    # canada splits over AF/AO/LAC by default; re-imported with a one-region mapping, the
    # old region rows (other ids) must go, or the commitment would be counted twice
    out = tmp_path / "out"
    import_iati([V2 / "canada-activity.xml"], out)
    mapping = tmp_path / "mapping"
    mapping.mkdir()
    (mapping / "regions.csv").write_text("region_code,region_name\nWORLD,World\n")
    (mapping / "country_regions.csv").write_text(
        "country_code,country_name,region_code\n"
        + "".join(f"{c},{c},WORLD\n" for c in ("BF", "BO", "CI", "KH", "ML", "NI", "VN"))
    )
    import_iati([V2 / "canada-activity.xml"], out, regions_dir=mapping)
    (agreement,) = rows(out, "agreements")
    assert (agreement["region_code"], agreement["committed_amount"]) == ("WORLD", "19570705.00")
    assert len(rows(out, "transactions")) == 12
