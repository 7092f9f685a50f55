"""The default period: the latest ended calendar year with money or activity; the empty
years after it are named in the report and the asset's metadata.

The fixture warehouse holds 2025 (money) and a global 2026 row with support 10. Here 2026
becomes what a grant awarded with nothing disbursed leaves: support, expenditure and
activities 0, a committed pipeline of 900; and a 2027 row like it is added. On 2028-01-15
both have ended, so the default is 2025 and 2026, 2027 are skipped.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest
from conftest import pdf_text
from dagster import DagsterInstance, materialize
from report_warehouse_fixture import build_fixture_warehouse

import pipelines.reports.assets as report_assets
from pipelines.reports.assets import ReportsResource, global_report
from pipelines.reports.data import ReportDataError, default_period, load_report_data
from pipelines.reports.findings import key_findings
from pipelines.reports.render import html_to_pdf, region_report_html
from pipelines.warehouse import WarehouseResource

TODAY = date(2028, 1, 15)
GENERATED = datetime(2028, 1, 15, 9, 30, tzinfo=UTC)
SKIPPED = (
    "2026 and 2027 have no money or activity recorded and were skipped. "
    "This report covers 2025, the latest complete year with any."
)


def empty_later_years(path):
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "UPDATE marts.region_sustainability SET support_eur = 0, income_eur = 0, in_kind_eur = 0, "
            "expenditure_eur = 0, activities = 0, committed_pipeline_eur = 900 "
            "WHERE region_code = 'ALL' AND period = '2026'"
        )
        conn.execute(
            "INSERT INTO marts.region_sustainability (region_code, period, period_type, period_start, "
            "period_end, income_eur, in_kind_eur, support_eur, expenditure_eur, activities, "
            "committed_pipeline_eur, risk_flags) VALUES ('ALL', '2027', 'year', DATE '2027-01-01', "
            "DATE '2027-12-31', 0, 0, 0, 0, 0, 900, [])"
        )
    return path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return empty_later_years(build_fixture_warehouse(tmp_path_factory.mktemp("period") / "w.duckdb"))


def test_empty_later_years_are_skipped(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        choice = default_period(conn, TODAY)
        assert (choice.period, choice.skipped) == ("2025", ("2026", "2027"))
        # before 2027 has ended only 2026 is skipped; before 2026 has ended nothing is
        assert default_period(conn, date(2027, 6, 1)).skipped == ("2026",)
        assert default_period(conn, date(2026, 6, 1)).skipped == ()


def test_the_asset_names_the_skipped_years_in_the_pdf_and_the_metadata(warehouse, tmp_path, monkeypatch):
    monkeypatch.setattr(report_assets, "_today", lambda: TODAY)
    result = materialize(
        [global_report],
        instance=DagsterInstance.ephemeral(),
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "reports": ReportsResource(reports_dir=str(tmp_path), organisation="Test Federation"),
        },
    )
    [event] = result.asset_materializations_for_node("reports__global_report")
    assert event.metadata["period"].value == "2025"
    assert event.metadata["skipped_empty_periods"].value == "2026, 2027"
    text = pdf_text(tmp_path / "2025" / "partnership-sustainability-2025.pdf")
    assert f"Executive summary {SKIPPED}" in text
    # and the numbers are 2025's, not a year of zeros
    assert "Support EUR 1.85 m Expenditure EUR 1.70 m" in text


def test_the_region_report_says_it_too(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        data = load_report_data(conn, "2025", default_period(conn, TODAY).skipped)
    text = pdf_text(html_to_pdf(region_report_html(data, "EUR", "Test Federation", GENERATED)).pdf)
    assert SKIPPED in text


def test_an_empty_period_asked_for_by_name_says_so(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        data = load_report_data(conn, "2026")
    assert not data.has_money_or_activity
    assert key_findings(data) == [
        "No support, expenditure or activity is recorded in 2026: there is nothing to report for this period."
    ]


def test_no_year_with_anything_is_a_clear_one_line_error(tmp_path, monkeypatch):
    path = empty_later_years(build_fixture_warehouse(tmp_path / "w.duckdb"))
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "UPDATE marts.region_sustainability SET support_eur = 0, income_eur = 0, in_kind_eur = 0, "
            "expenditure_eur = 0, activities = 0 WHERE region_code = 'ALL' AND period = '2025'"
        )
    message = (
        "no calendar year that ended before 2028-01-15 has any support, expenditure or activity in "
        "marts.region_sustainability (years ended: 2025, 2026, 2027); "
        "load a package that records some or pass a period"
    )
    with duckdb.connect(str(path), read_only=True) as conn, pytest.raises(ReportDataError) as raised:
        default_period(conn, TODAY)
    assert str(raised.value) == message

    monkeypatch.setattr(report_assets, "_today", lambda: TODAY)
    result = materialize(
        [global_report],
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
        resources={
            "warehouse": WarehouseResource(path=str(path)),
            "reports": ReportsResource(reports_dir=str(tmp_path / "reports")),
        },
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_failure_data.user_failure_data.description == f"reports: {message}"
    assert not (tmp_path / "reports").exists()
