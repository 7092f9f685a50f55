"""Runway, coverage and margin where recorded spending is too small to give them meaning:
the report prints words instead of the number and leaves out the findings resting on them.

The fixture warehouse, with two regions changed as a funder-side import would leave them
(the marts keep the numbers and set spending_figures_withheld; min_spending_share 0.1):
- MENA: spent 1,200 in 2025 against 500,000 of support (1,200 < 0.1 × 500,000 = 50,000).
  Burn 100 a month, so the pipeline of 337,500 is 3,375.0 months of runway, 750.0 without
  the top funder's 262,500; margin (500,000 − 1,200) / 500,000 = 99.76 %.
- AFR: spent 12,000 against 450,000 (< 45,000). Burn 1,000, pipeline 3,000: runway 3.0 months,
  1.2 without the top funder, so the marts flag short_runway and top_funder_cliff.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import duckdb
import pytest
from conftest import pdf_text
from report_warehouse_fixture import build_fixture_warehouse

from pipelines.reports.data import load_report_data
from pipelines.reports.findings import key_findings
from pipelines.reports.formatting import FSI, PDI
from pipelines.reports.render import global_report_html, render_global_report

GENERATED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
WORDS = "spending not recorded in this data"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = build_fixture_warehouse(tmp_path_factory.mktemp("withheld") / "w.duckdb")
    with duckdb.connect(str(path)) as conn:
        conn.execute("""
            UPDATE marts.region_sustainability SET expenditure_eur = 1200, monthly_burn_eur = 100,
                   runway_months = 3375.0, runway_without_top_funder_months = 750.0,
                   multi_year_coverage = 281.25, operating_margin = 0.9976,
                   risk_flags = ['high_concentration', 'dominant_funder', 'low_renewal', 'low_engagement'],
                   spending_figures_withheld = 'spending_below_min_share'
            WHERE region_code = 'MENA' AND period = '2025'""")
        conn.execute("""
            UPDATE marts.region_sustainability SET expenditure_eur = 12000, monthly_burn_eur = 1000,
                   committed_pipeline_eur = 3000, runway_months = 3.0,
                   runway_without_top_funder_months = 1.2, multi_year_coverage = 0.25,
                   operating_margin = 0.9733,
                   risk_flags = ['high_concentration', 'short_runway', 'top_funder_cliff'],
                   spending_figures_withheld = 'spending_below_min_share'
            WHERE region_code = 'AFR' AND period = '2025'""")
    with duckdb.connect(str(path), read_only=True) as conn:
        return load_report_data(conn, "2025")


@pytest.fixture(scope="module")
def text(data) -> str:
    return pdf_text(render_global_report(data, "Test Federation", GENERATED).pdf)


def plain(sentences):
    return [s.replace(FSI, "").replace(PDI, "") for s in sentences]


def test_findings_leave_out_what_rests_on_withheld_figures(data):
    findings = plain(key_findings(data))
    # the share is support, which is recorded: it stays; the runway clause goes
    assert "Middle East & North Africa receives 78 % of its support from one funder." in findings
    assert not any("runway" in s.lower() for s in findings[1:])  # no short runway for Africa either
    # the score range compares regions whose figures are shown: only Europe is left (ASOC spent nothing)
    assert not any("sustainability score" in s for s in findings)
    assert findings[0].endswith("an operating margin of 8 %.")  # the ALL row's figures are shown


def test_the_pdf_prints_the_words_and_not_the_numbers(text):
    for number in ("3375.0", "3,375", "750.0", "28125", "1.2 ", "Operating margin 100 %", "Africa (3.0 months)"):
        assert number not in text, number
    # headline, margin, runway, runway without top funder, coverage in each of the three
    # withheld regions' sections (ASOC spent nothing), the ranking and the stress table (2 each)
    assert text.count(WORDS) >= 3 * 5 + 3 + 3 * 2
    assert "Runway spending not recorded in this data Risk flags high concentration Resources" in text
    # Africa's spending flags (short runway, top-funder cliff) are not shown; the marts keep them
    assert (
        "3 Africa 55.2 high (0.26) spending not recorded in this data high concentration "
        "4 Middle East & North Africa 31.7 high (0.63) spending not recorded in this data "
        "high concentration dominant funder low renewal low engagement"
    ) in text
    assert (
        "Middle East & North Africa Gulf Knowledge Foundation 78 % "
        "spending not recorded in this data spending not recorded in this data"
    ) in text
    assert (
        "this data records spending below 10 % of support for the region in the twelve months "
        "to 2025-12-31, so they would not mean anything"
    ) in text


def test_a_region_with_figures_shown_is_unchanged(text):
    # Europe: runway 6.0, 4.7 without its top funder, margin 5 %
    assert "Europe Europeana Friends 22 % 6.0 4.7" in text
    assert "Operating margin 5 %" in text


def test_withheld_global_row(data):
    total = dict(data.total, spending_figures_withheld="spending_below_min_share")
    withheld = dataclasses.replace(data, total=total)
    assert plain(key_findings(withheld))[0] == (
        "Across all regions the organisation received EUR 1.85 m in support and spent EUR 1.70 m "
        "in 2025; with spending not recorded in this data, runway and margin are not given."
    )
    html = global_report_html(withheld, "Test Federation", GENERATED, None)
    assert f'<span class="label">Runway</span><strong><span class="withheld">{WORDS}</span></strong>' in html
