"""Jobs, the quarterly report schedule, the sensor on the partner data package and the
sensor that keeps the region partitions equal to the regions in the warehouse.

Every run writes (or reads) the one DuckDB file, so runs must not overlap: the instance's
run queue starts them one at a time (dagster.yaml, `concurrency.runs.max_concurrent_runs`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    DynamicPartitionsDefinition,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from pipelines.file_hash import file_sha256
from pipelines.importers.workspace import STANDARD_FOLDERS
from pipelines.ingest.contract import TABLES
from pipelines.ingest.read import SUFFIXES

REPORTING_PERIOD_FIELD = "period"  # ReportConfig.period of pipelines/reports/assets.py
# Runs of the jobs that write the warehouse carry this tag; where runs start in parallel
# (deploy/dagster.docker.yaml) the instance lets one such run go at a time.
WRITES_WAREHOUSE = {"partner_reports/writes": "warehouse"}
# The region reports one run per region (partitions of pipelines/reports/assets.py): for
# backfills on several workers. refresh_all renders every region in its own run instead.
REGION_PARTITIONS_ASSET = AssetKey(["reports", "region_report"])

refresh_all = define_asset_job(
    "refresh_all",
    selection=AssetSelection.all() - AssetSelection.assets(REGION_PARTITIONS_ASSET),
    description="Load the partner data package and rebuild everything downstream: tables, marts, reports.",
    tags=WRITES_WAREHOUSE,
)
load_package = define_asset_job(
    "load_package",
    # The marts are rebuilt in the same run: a run publishes staging and marts together
    # or nothing (pipelines/publication.py), so a load alone could not be published.
    selection=AssetSelection.groups("ingest", "metrics"),
    description="Load the partner data package and rebuild the marts; both are published together "
    "when every blocking check passes.",
    tags=WRITES_WAREHOUSE,
)


def jobs() -> list:
    return [refresh_all, load_package]


def automation_sensor() -> AutomationConditionSensorDefinition:
    """Evaluates the assets' automation conditions (the marts' 'eager') every 30 s."""
    return AutomationConditionSensorDefinition(
        "keep_marts_current",
        target=AssetSelection.all(),
        default_status=DefaultSensorStatus.RUNNING,
        description="Rebuilds the marts after a load whose blocking checks passed.",
    )


# --- Quarterly reports --------------------------------------------------------------


def quarter_just_ended(day: date) -> str:
    """The last quarter that ended before `day`: 2025-10-01 -> '2025-Q3', 2025-08-15 -> '2025-Q2'."""
    index = day.year * 4 + (day.month - 1) // 3 - 1
    year, quarter = divmod(index, 4)
    return f"{year}-Q{quarter + 1}"


def ops_with_period(assets: list) -> list[str]:
    """Ops of the assets of refresh_all that take a reporting period as config (the report
    assets; not the region partitions, which refresh_all does not run)."""
    names = []
    for assets_def in assets:
        if not isinstance(assets_def, AssetsDefinition):  # external assets have no op
            continue
        if assets_def.partitions_def is not None:
            continue
        config_type = assets_def.node_def.config_schema.config_type  # `Any` when there is no config
        if REPORTING_PERIOD_FIELD in (getattr(config_type, "fields", None) or {}):
            names.append(assets_def.node_def.name)
    return sorted(names)


def period_run_config(ops: list[str], period: str) -> dict:
    return {"ops": {op: {"config": {REPORTING_PERIOD_FIELD: period}} for op in ops}}


def quarterly_reports_schedule(assets: list):
    """On the first day of each quarter, refresh everything and write the reports for the
    quarter that has just ended (the period is run config, taken from the tick's date)."""
    report_ops = ops_with_period(assets)

    @schedule(
        name="quarterly_reports",
        job=refresh_all,
        cron_schedule="0 6 1 1,4,7,10 *",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description="06:00 UTC on 1 Jan/Apr/Jul/Oct: reload the package, rebuild the marts and "
        "write the reports for the quarter just ended.",
    )
    def quarterly_reports(context: ScheduleEvaluationContext) -> RunRequest:
        period = quarter_just_ended(context.scheduled_execution_time.date())
        return RunRequest(
            run_key=period,  # one report run per quarter, even if a tick is re-evaluated
            run_config=period_run_config(report_ops, period),
            tags={"partner_reports/period": period},
        )

    return quarterly_reports


# --- Fiscal-year reports -----------------------------------------------------------


def fiscal_year_just_ended(day: date, start_month: int) -> str:
    """The last fiscal year that ended before `day`, named after the calendar year in which it
    ends: with a July start, 2026-07-01 -> 'FY2026' (2025-07-01..2026-06-30), 2026-05-01 -> 'FY2025'."""
    return f"FY{day.year if day.month >= start_month else day.year - 1}"


def fiscal_year_schedules(assets: list, start_month: int) -> list:
    """With a fiscal year that does not start in January (FISCAL_YEAR_START_MONTH), a schedule
    that writes the reports of the fiscal year just ended on the first day of the next one;
    none otherwise (the calendar year is then the fiscal year)."""
    if start_month == 1:
        return []
    report_ops = ops_with_period(assets)

    @schedule(
        name="fiscal_year_reports",
        job=refresh_all,
        cron_schedule=f"0 7 1 {start_month} *",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description="07:00 UTC on the first day of the fiscal year: reload the package, rebuild the "
        "marts and write the reports for the fiscal year just ended.",
    )
    def fiscal_year_reports(context: ScheduleEvaluationContext) -> RunRequest:
        period = fiscal_year_just_ended(context.scheduled_execution_time.date(), start_month)
        return RunRequest(
            run_key=period, run_config=period_run_config(report_ops, period), tags={"partner_reports/period": period}
        )

    return [fiscal_year_reports]


# --- Package sensor -----------------------------------------------------------------


def package_files(data_dir: Path) -> list[Path]:
    """The files a load reads: the contract's tables and the IATI / 360Giving subfolders."""
    files = [data_dir / f"{t.name}{suffix}" for t in TABLES for suffix in SUFFIXES]
    files = [f for f in files if f.is_file()]
    for folder in STANDARD_FOLDERS:
        if (data_dir / folder).is_dir():
            files += [f for f in (data_dir / folder).rglob("*") if f.is_file()]
    return sorted(files)


def content_hashes(data_dir: Path) -> dict[str, str]:
    """SHA-256 of each package file, by path relative to the package folder."""
    return {path.relative_to(data_dir).as_posix(): file_sha256(path) for path in package_files(data_dir)}


def changed_files(previous: dict[str, str], current: dict[str, str]) -> list[str]:
    """Files added, removed or with new content."""
    return sorted(name for name in previous.keys() | current.keys() if previous.get(name) != current.get(name))


def package_sensor(data_dir: Path):
    """Requests a load when a file of the package at PARTNER_DATA_DIR changes content.

    The cursor holds each file's content hash, so saving a file unchanged (a new
    modification time) requests nothing; the first evaluation loads the package.
    """
    data_dir = Path(data_dir)

    @sensor(
        name="partner_package_changed",
        job=load_package,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Loads the package when a table file in {data_dir} changes content.",
    )
    def partner_package_changed(context: SensorEvaluationContext):
        current = content_hashes(data_dir)
        if not current:
            return SkipReason(f"{data_dir} holds no table files")
        previous = json.loads(context.cursor) if context.cursor else {}
        changed = changed_files(previous, current)
        if not changed:
            return SkipReason(f"No table file in {data_dir} changed content ({len(current)} files hashed).")
        context.update_cursor(json.dumps(current, sort_keys=True))
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        context.log.info(f"Changed: {shown}")
        return RunRequest(tags={"partner_reports/changed_files": shown})

    return partner_package_changed


# --- Region partitions --------------------------------------------------------------


def region_partitions_sensor(warehouse_path: Path, partitions_name: str):
    """Keeps the dynamic partitions `partitions_name` equal to the regions in the published
    warehouse's marts: a region that appears gets its partition, one that is gone loses it."""
    warehouse_path = Path(warehouse_path)

    @sensor(
        name="region_partitions",
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Adds a region report partition for each region in the published marts and "
        "removes those of regions no longer there.",
    )
    def region_partitions(context: SensorEvaluationContext):
        # imported here: the reports' code is not needed to define the jobs and schedules
        from pipelines.reports.data import report_region_codes
        from pipelines.warehouse import connect

        try:
            with connect(warehouse_path, read_only=True) as conn:
                regions = set(report_region_codes(conn))
        except (FileNotFoundError, duckdb.Error) as err:
            return SkipReason(f"No regions to read: {' '.join(str(err).split())}")
        known = set(context.instance.get_dynamic_partitions(partitions_name))
        added, removed = sorted(regions - known), sorted(known - regions)
        if not added and not removed:
            return SkipReason(f"The {len(known)} region partitions match the marts.")
        requests = []
        if added:
            requests.append(DynamicPartitionsDefinition(name=partitions_name).build_add_request(added))
        if removed:
            requests.append(DynamicPartitionsDefinition(name=partitions_name).build_delete_request(removed))
        context.log.info(
            f"Region partitions: added {', '.join(added) or 'none'}; removed {', '.join(removed) or 'none'}"
        )
        return SensorResult(dynamic_partitions_requests=requests)

    return region_partitions
