"""A backfill of the region reports, planned and launched by Dagster's own backfill daemon
code on the project's code location: one run per region, then one run that publishes
the set (docs/production.md, "Region reports as partitions").

Runs are launched as processes of the code location's server (the default launcher)
instead of in containers; which runs the backfill asks for, in which order, and what they
publish is what the Docker launcher would get too.
"""

from __future__ import annotations

import logging
import time

from dagster import AssetKey
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.storage.dagster_run import RunsFilter
from dagster._core.test_utils import create_test_daemon_workspace_context, instance_for_test
from dagster._core.workspace.load_target import ModuleTarget
from dagster._daemon.backfill import execute_backfill_iteration

from pipelines.reports.assets import REGION_PARTITIONS, REGION_REPORT, REGION_REPORTS
from pipelines.reports.parts import PARTS_FOLDER
from pipelines.settings import PROJECT_ROOT

CODES = ["AFR", "ASOC", "EUR", "MENA"]  # the regions of the reports' fixture warehouse


def wait_for_runs(instance, deadline: float) -> None:
    """Until every run the backfill launched so far has ended (the code server's processes)."""
    while any(not run.is_finished for run in instance.get_runs(RunsFilter(tags={"dagster/backfill": "regions"}))):
        assert time.monotonic() < deadline, "a backfill run did not end in time"
        time.sleep(0.5)


def test_a_backfill_runs_each_region_on_its_own_then_publishes_the_set(tmp_path, monkeypatch):
    from reports.report_warehouse_fixture import build_fixture_warehouse  # tests/reports/

    warehouse = build_fixture_warehouse(tmp_path / "warehouse.duckdb")
    reports = tmp_path / "reports"
    for name, value in {
        "WAREHOUSE_PATH": str(warehouse),
        "REPORTS_DIR": str(reports),
        "PARTNER_DATA_DIR": str(tmp_path),
        "REPORT_RENDER_WORKERS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    # launched at once, no queue (the daemon's queue is not part of this test)
    overrides = {"run_coordinator": {"module": "dagster.core.run_coordinator", "class": "DefaultRunCoordinator"}}
    with instance_for_test(overrides=overrides) as instance:
        instance.add_dynamic_partitions(REGION_PARTITIONS.name, CODES)
        target = ModuleTarget(
            module_name="pipelines.definitions",
            attribute=None,
            working_directory=str(PROJECT_ROOT),
            location_name="partner_reports",
        )
        with create_test_daemon_workspace_context(target, instance) as workspace:
            instance.add_backfill(
                PartitionBackfill.from_asset_partitions(
                    backfill_id="regions",
                    asset_graph=workspace.create_request_context().asset_graph,
                    partition_names=None,
                    asset_selection=[REGION_REPORT, REGION_REPORTS],
                    backfill_timestamp=time.time(),
                    tags={},
                    dynamic_partitions_store=instance,
                    all_partitions=True,
                    title=None,
                    description=None,
                    run_config=None,
                )
            )
            deadline = time.monotonic() + 300
            while instance.get_backfill("regions").status == BulkActionStatus.REQUESTED:
                assert time.monotonic() < deadline, "the backfill did not finish in 300 s"
                list(execute_backfill_iteration(workspace, logging.getLogger("backfill")))
                wait_for_runs(instance, deadline)
        assert instance.get_backfill("regions").status == BulkActionStatus.COMPLETED_SUCCESS

        runs = list(reversed(instance.get_runs(RunsFilter(tags={"dagster/backfill": "regions"}))))
        assert [
            (r.tags.get("dagster/partition"), sorted(k.to_user_string() for k in r.asset_selection)) for r in runs
        ] == [(code, ["reports/region_report"]) for code in CODES] + [(None, ["reports/region_reports"])]
        assert all(r.status.value == "SUCCESS" for r in runs)
        assert not any("partner_reports/writes" in r.tags for r in runs)  # not held back by the writers' limit
        last_partition = max(instance.get_run_record_by_id(r.run_id).end_time for r in runs[:-1])
        assert instance.get_run_record_by_id(runs[-1].run_id).start_time >= last_partition

        event = instance.get_latest_materialization_event(REGION_REPORTS).asset_materialization
        assert event.metadata["from_partitions"].value is True
    parts = {p.name: p.read_bytes() for p in (reports / PARTS_FOLDER).rglob("*.pdf")}
    published = {p.name: p.read_bytes() for p in (reports / "2025").iterdir()}
    assert published == parts and sorted(published) == [f"{c}.pdf" for c in CODES]
    assert AssetKey(["reports", "global_report"]) not in {k for r in runs for k in r.asset_selection}


def test_refresh_all_renders_the_whole_set_and_leaves_the_partitions_out(tmp_path):
    from pipelines.definitions import build_definitions
    from pipelines.settings import Settings

    defs = build_definitions(
        Settings.from_env({"PARTNER_DATA_DIR": str(tmp_path), "WAREHOUSE_PATH": str(tmp_path / "w.duckdb")})
    )
    job = defs.resolve_job_def("refresh_all")
    reports = {k.to_user_string() for k in job.asset_layer.selected_asset_keys if k.path[0] == "reports"}
    assert reports == {"reports/global_report", "reports/region_reports"}
    assert job.partitions_def is None  # a run of it asks for no partition key
