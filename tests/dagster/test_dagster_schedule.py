"""The quarterly schedule asks for the reports of the quarter that has just ended."""

from datetime import UTC, date, datetime

import pytest
from dagster import Definitions, build_schedule_context, validate_run_config

from pipelines.automation import ops_with_period, quarter_just_ended, quarterly_reports_schedule, refresh_all
from pipelines.definitions import build_definitions, project_assets
from pipelines.reports.assets import ReportsResource, global_report, region_reports
from pipelines.settings import Settings
from pipelines.warehouse import WarehouseResource


@pytest.mark.parametrize(
    "day, period",
    [
        (date(2025, 10, 1), "2025-Q3"),  # the schedule's own tick: first day of a quarter
        (date(2025, 8, 15), "2025-Q2"),  # mid-Q3 -> Q2
        (date(2025, 6, 30), "2025-Q1"),  # last day of Q2 -> Q1
        (date(2026, 1, 1), "2025-Q4"),  # across the year boundary
        (date(2026, 2, 10), "2025-Q4"),
    ],
)
def test_quarter_just_ended(day, period):
    assert quarter_just_ended(day) == period


def test_mid_quarter_tick_requests_the_previous_quarter_for_every_report_op():
    schedule = quarterly_reports_schedule([global_report, region_reports])
    context = build_schedule_context(scheduled_execution_time=datetime(2025, 8, 15, 6, tzinfo=UTC))
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.run_config == {
        "ops": {
            "reports__global_report": {"config": {"period": "2025-Q2"}},
            "reports__region_reports": {"config": {"period": "2025-Q2"}},
        }
    }
    assert request.tags["partner_reports/period"] == "2025-Q2"
    assert request.run_key == "2025-Q2"
    # The config is valid for the job the schedule launches.
    resources = {"warehouse": WarehouseResource(path="unused.duckdb"), "reports": ReportsResource(reports_dir="unused")}
    job = Definitions(assets=[global_report, region_reports], jobs=[refresh_all], resources=resources).resolve_job_def(
        "refresh_all"
    )
    assert validate_run_config(job, request.run_config)


def test_schedule_configures_every_registered_report_asset():
    """The report assets (group "reports") of refresh_all are the ones that take a period, whoever
    adds them; the region partitions (not in refresh_all) are not configured by its schedule."""
    assets = project_assets()
    report_ops = sorted(
        {
            d.node_def.name
            for d in assets
            for spec in d.specs
            if spec.group_name == "reports" and d.partitions_def is None
        }
    )
    assert "reports__region_report" not in report_ops
    assert ops_with_period(assets) == report_ops
    assert ops_with_period([global_report, region_reports]) == ["reports__global_report", "reports__region_reports"]


def test_project_schedule_run_config_is_valid_for_the_project_job(tmp_path):
    """Against the real refresh_all, with whatever report assets are registered today."""
    defs = build_definitions(
        Settings.from_env({"PARTNER_DATA_DIR": str(tmp_path), "WAREHOUSE_PATH": str(tmp_path / "w.duckdb")})
    )
    schedule = defs.resolve_schedule_def("quarterly_reports")
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 5, 20, 6, tzinfo=UTC))
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.tags["partner_reports/period"] == "2026-Q1"
    assert validate_run_config(defs.resolve_job_def("refresh_all"), request.run_config)
