"""The bundled sample's story in the trend, change and funding-cliff pages, read from the PDFs.

The sample (pipelines/sample/story.py) is designed so that Latin America & Caribbean's
commitments run out in the first half of 2026 and Asia-Oceania stopped talking to its
partners after March 2025. The 2025 reports must say so: a cliff within twelve months of
2025-12-31 for LAC, and Asia-Oceania's partners listed as gone silent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import duckdb
import pytest
from conftest import pdf_text
from package_fixture import SAMPLE_DIR

from pipelines.ingest.load import load_package
from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.insight import compute_insight_marts
from pipelines.metrics.marts import read_staging_frames, write_marts
from pipelines.metrics.settings import MetricSettings
from pipelines.reports.data import load_report_data
from pipelines.reports.render import render_global_report, render_region_report

GENERATED = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample_2025(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample-insight") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        load_package(SAMPLE_DIR, conn, "EUR")
        frames = read_staging_frames(conn)
        marts = compute_region_metrics(frames)
        write_marts(conn, marts, MetricSettings(), compute_insight_marts(frames, marts))
        data = load_report_data(conn, "2025")
    return data


@pytest.fixture(scope="module")
def global_text(sample_2025):
    return pdf_text(render_global_report(sample_2025, "Test Federation", GENERATED).pdf)


def _cliff_month(text: str, region: str) -> tuple[int, int]:
    """The month the summary names for `region`: 'short from YYYY-MM' or 'from the first month, YYYY-MM'."""
    match = re.search(
        re.escape(region) + r": committed funding (?:covers spending until \d{4}-\d{2}; short from"
        r"|falls short of spending from the first month,) (\d{4})-(\d{2})",
        text,
    )
    assert match, f"no cliff sentence for {region}"
    return int(match.group(1)), int(match.group(2))


def test_latin_america_shows_a_cliff_within_twelve_months(global_text):
    year, month = _cliff_month(global_text, "Latin America & Caribbean")
    months_after_2025 = (year - 2026) * 12 + month  # 2026-01 is month 1 of the projection
    assert 1 <= months_after_2025 <= 12
    assert "When committed funding stops covering spending" in global_text
    assert "Funding cliff: the next 24 months" in global_text


def test_asia_oceania_shows_its_partners_gone_silent(global_text, sample_2025):
    body = global_text[global_text.index("Key findings") :]  # after the contents page
    changes = body[body.index("What changed since 2024") : body.index("Sustainability score (0–100), one panel")]
    section = changes[changes.index("Asia-Oceania") :]
    match = re.search(r"Partners gone silent (\d+) — engaged at the end of 2024", section)
    assert match and int(match.group(1)) >= 3
    assert "华夏图书馆基金会" in section  # its largest funder, last contacted in February 2025
    # The other regions kept talking to their partners.
    europe = changes[changes.index("Europe") :]
    assert europe.split("Partners gone silent", 1)[1].lstrip().startswith("none")


def test_the_trend_page_labels_no_complete_year_incomplete(global_text):
    body = global_text[global_text.index("Key findings") :]
    trends = body[body.index("Sustainability score (0–100), one panel") : body.index("For each month after")]
    assert "2023" in trends and "2025" in trends
    assert "2025 (incomplete)" not in trends


def test_region_reports_carry_the_box_the_trends_and_the_cliff(sample_2025):
    lac = pdf_text(render_region_report(sample_2025, "LAC", "Test Federation", GENERATED).pdf)
    assert "What changed since 2024" in lac and "Trends" in lac
    year, month = _cliff_month(lac, "Latin America & Caribbean")
    assert (year - 2026) * 12 + month <= 12
    assert "(cliff)" in lac  # the month marked in the 24-month table
    ao = pdf_text(render_region_report(sample_2025, "AO", "Test Federation", GENERATED).pdf)
    assert re.search(r"Partners gone silent \d+ — engaged at the end of 2024", ao)


def test_a_quarter_report_marks_its_year_incomplete(sample_2025, tmp_path):
    """A report for 2025-Q3: the year 2025 is not over at its period end."""
    from dataclasses import replace

    from pipelines.reports.insight import incomplete, period_heading

    year = next(r for r in sample_2025.insight.years["LAC"] if r["period"] == "2025")
    q3_end = datetime(2025, 9, 30).date()
    assert incomplete(year, q3_end, GENERATED.date())
    assert period_heading(year, q3_end, GENERATED.date()) == "2025 (incomplete)"
    assert period_heading(year, year["period_end"], GENERATED.date()) == "2025"
    # generated on the last day of the year, the year is not complete yet either
    assert incomplete(year, year["period_end"], year["period_end"])
    assert replace(sample_2025) is not None
