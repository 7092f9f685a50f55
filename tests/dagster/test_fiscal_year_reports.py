"""Fiscal-year reports: the period grammar, the settings and the fiscal-year schedule."""

from datetime import UTC, date, datetime

import pytest
from dagster import build_schedule_context, validate_run_config

from pipelines.automation import fiscal_year_just_ended
from pipelines.definitions import build_definitions
from pipelines.reports.paths import PERIOD
from pipelines.settings import Settings, SettingsError


@pytest.mark.parametrize(
    "day, start, period",
    [
        (date(2026, 7, 1), 7, "FY2026"),  # the schedule's tick: FY2026 = 2025-07-01..2026-06-30 just ended
        (date(2026, 5, 1), 7, "FY2025"),
        (date(2026, 3, 1), 3, "FY2026"),
    ],
)
def test_fiscal_year_just_ended(day, start, period):
    assert fiscal_year_just_ended(day, start) == period


def test_the_period_grammar_takes_fiscal_years():
    assert PERIOD.fullmatch("FY2026") and PERIOD.fullmatch("2025-Q3") and not PERIOD.fullmatch("FY26")


def test_settings_read_the_period_and_the_fiscal_start(tmp_path):
    base = {"PARTNER_DATA_DIR": str(tmp_path), "WAREHOUSE_PATH": str(tmp_path / "w.duckdb")}
    settings = Settings.from_env({**base, "REPORT_PERIOD": "FY2026", "FISCAL_YEAR_START_MONTH": "7"})
    assert (settings.report_period, settings.fiscal_year_start_month) == ("FY2026", 7)
    assert Settings.from_env(base).report_period is None
    with pytest.raises(SettingsError, match="REPORT_PERIOD"):
        Settings.from_env({**base, "REPORT_PERIOD": "2025-Q5"})
    with pytest.raises(SettingsError, match="FISCAL_YEAR_START_MONTH"):
        Settings.from_env({**base, "FISCAL_YEAR_START_MONTH": "13"})
    with pytest.raises(SettingsError, match="fiscal year"):
        Settings.from_env({**base, "REPORT_PERIOD": "FY2026"})


def test_a_fiscal_start_adds_the_schedule_and_the_resource_setting(tmp_path):
    base = {"PARTNER_DATA_DIR": str(tmp_path), "WAREHOUSE_PATH": str(tmp_path / "w.duckdb")}
    calendar = build_definitions(Settings.from_env(base))
    assert [s.name for s in calendar.schedules] == ["quarterly_reports"]
    defs = build_definitions(Settings.from_env({**base, "FISCAL_YEAR_START_MONTH": "7"}))
    schedule = defs.resolve_schedule_def("fiscal_year_reports")
    assert schedule.cron_schedule == "0 7 1 7 *"
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 7, 1, 7, tzinfo=UTC))
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.tags["partner_reports/period"] == "FY2026"
    assert validate_run_config(defs.resolve_job_def("refresh_all"), request.run_config)
    assert defs.resources["metric_settings"].fiscal_year_start_month == 7
