"""The sensor region_partitions keeps the region report partitions equal to the regions of
the loaded package (the regions in the published marts)."""

from __future__ import annotations

import csv
import shutil

from dagster import DagsterInstance, build_sensor_context, materialize
from package_fixture import SAMPLE_DIR

from pipelines.automation import region_partitions_sensor
from pipelines.ingest.load import load_package
from pipelines.metrics.assets import MetricSettingsResource, region_metrics
from pipelines.reports.assets import REGION_PARTITIONS
from pipelines.warehouse import WarehouseResource, connect


def tick(sensor, instance):
    """One evaluation, its partition requests applied as the daemon applies them."""
    data = sensor.evaluate_tick(build_sensor_context(instance=instance))
    for request in data.dynamic_partitions_requests or []:
        if type(request).__name__ == "AddDynamicPartitionsRequest":
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
    return data


def test_partitions_follow_the_regions_of_the_loaded_package(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    instance = DagsterInstance.ephemeral()
    sensor = region_partitions_sensor(warehouse, REGION_PARTITIONS.name)

    skipped = tick(sensor, instance)  # nothing loaded yet
    assert "does not exist yet" in skipped.skip_message
    assert instance.get_dynamic_partitions(REGION_PARTITIONS.name) == []

    with connect(warehouse) as conn:
        load_package(SAMPLE_DIR, conn, "EUR")
    assert materialize(
        [region_metrics],
        instance=DagsterInstance.ephemeral(),
        resources={"warehouse": WarehouseResource(path=str(warehouse)), "metric_settings": MetricSettingsResource()},
    ).success
    with (SAMPLE_DIR / "regions.csv").open(encoding="utf-8-sig", newline="") as handle:
        regions = sorted(row["region_code"] for row in csv.DictReader(handle))
    assert len(regions) == 6

    tick(sensor, instance)
    assert sorted(instance.get_dynamic_partitions(REGION_PARTITIONS.name)) == regions
    assert "match" in tick(sensor, instance).skip_message  # nothing to change the second time

    # A package without North America: its partition goes, the others stay.
    package = tmp_path / "package"
    shutil.copytree(SAMPLE_DIR, package)
    for table in (
        "regions",
        "countries",
        "partners",
        "agreements",
        "transactions",
        "expenditures",
        "activities",
        "interactions",
        "outcomes",
    ):
        path = package / f"{table}.csv"
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        kept = [r for r in rows if r.get("region_code") != "NA"]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(kept)
    with connect(warehouse) as conn:
        load_package(package, conn, "EUR")
    assert materialize(
        [region_metrics],
        instance=DagsterInstance.ephemeral(),
        resources={"warehouse": WarehouseResource(path=str(warehouse)), "metric_settings": MetricSettingsResource()},
    ).success
    tick(sensor, instance)
    assert sorted(instance.get_dynamic_partitions(REGION_PARTITIONS.name)) == [r for r in regions if r != "NA"]
