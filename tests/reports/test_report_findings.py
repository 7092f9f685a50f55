import dataclasses

import duckdb
import pytest

from pipelines.reports.data import default_period, load_report_data
from pipelines.reports.findings import key_findings, period_label
from pipelines.reports.formatting import FSI, PDI


@pytest.fixture(scope="module")
def data(warehouse_path):
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        return load_report_data(conn, "2025")


def plain(sentences):
    return [s.replace(FSI, "").replace(PDI, "") for s in sentences]


def test_the_dependent_region_gets_the_one_funder_sentence(data):
    # Fixture MENA: top_funder_share 0.78, runway 9.0 months, 2.0 without the top funder.
    assert (
        "Middle East & North Africa receives 78 % of its support from one funder; "
        "if it left, committed runway would fall from 9.0 to 2.0 months."
    ) in plain(key_findings(data))


def test_between_three_and_six_findings_and_the_totals_come_first(data):
    findings = plain(key_findings(data))
    assert 3 <= len(findings) <= 6
    # ALL row: support 1,850,000 and expenditure 1,700,000; margin 0.0811 -> 8 %.
    assert findings[0] == (
        "Across all regions the organisation received EUR 1.85 m in support "
        "and spent EUR 1.70 m in 2025, an operating margin of 8 %."
    )


def test_score_extremes_follow_the_ranking(data):
    # EUR has the highest score (72.3), MENA the lowest (31.7).
    assert (
        "Europe has the strongest sustainability score (72.3 of 100); Middle East & North Africa the weakest (31.7)."
    ) in plain(key_findings(data))


def test_without_a_dominant_funder_the_summary_says_so(data):
    calmer = [dict(r, risk_flags=[f for f in r["risk_flags"] if f != "dominant_funder"]) for r in data.regions]
    findings = plain(key_findings(dataclasses.replace(data, regions=calmer)))
    assert "No region receives more than half of its support from a single funder." in findings
    assert not any("from one funder" in s for s in findings)


def test_region_names_in_sentences_are_direction_isolated(data):
    arabic = [dict(r, region_name="الشرق الأوسط") if r["region_code"] == "MENA" else r for r in data.regions]
    sentence = next(s for s in key_findings(dataclasses.replace(data, regions=arabic)) if "from one funder" in s)
    assert sentence.startswith(f"{FSI}الشرق الأوسط{PDI} receives 78 %")


def test_default_period_is_the_latest_year_that_has_ended(warehouse_path):
    from datetime import date

    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        # The fixture has 2025 and 2026 year rows; 2026 ends on 2026-12-31.
        assert default_period(conn, date(2026, 11, 28)).period == "2025"
        assert default_period(conn, date(2027, 1, 1)).period == "2026"


def test_quarter_labels():
    assert period_label("2025-Q3") == "Q3 2025"
    assert period_label("2025") == "2025"
