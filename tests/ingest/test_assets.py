"""The ingest assets through Dagster: materialize against a temp warehouse, then call the
asset checks directly and read their metadata."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
from dagster import AssetKey, materialize
from package_fixture import SAMPLE_DIR

from pipelines.ingest.assets import load_partner_package
from pipelines.ingest.checks import conversion_checks, every_row_accounted_for, foreign_key_checks
from pipelines.ingest.contract import TABLES
from pipelines.resources import PackageResource
from pipelines.warehouse import WarehouseResource


def run_load(folder, warehouse_path):
    return materialize(
        [load_partner_package],
        resources={
            "package": PackageResource(data_dir=str(folder)),
            "warehouse": WarehouseResource(path=str(warehouse_path)),
        },
        raise_on_error=False,
    )


def check_name(check) -> str:
    key = next(iter(check.check_keys))
    return f"{key.asset_key.path[-1]}:{key.name}"


def test_each_table_asset_reports_row_count_and_schema(tmp_path):
    result = run_load(SAMPLE_DIR, tmp_path / "w.duckdb")
    assert result.success
    events = {e.asset_key: e for e in result.get_asset_materialization_events()}
    events = {k: e.event_specific_data.materialization.metadata for k, e in events.items()}
    conn = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    for table in TABLES:
        metadata = events[AssetKey(["staging", table.name])]
        assert (
            metadata["dagster/row_count"].value
            == conn.execute(f"SELECT count(*) FROM staging.{table.name}").fetchone()[0]
        )
        columns = [c.name for c in metadata["dagster/column_schema"].schema.columns]
        assert columns == list(table.staging_columns)
    rejects = events[AssetKey(["audit", "rejects"])]
    assert rejects["dagster/row_count"].value == conn.execute("SELECT count(*) FROM audit.rejects").fetchone()[0]


def test_checks_pass_on_a_clean_load_and_catch_a_tampered_warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    assert run_load(SAMPLE_DIR, path).success
    warehouse = WarehouseResource(path=str(path))

    accounted = every_row_accounted_for(warehouse=warehouse)
    assert accounted.passed
    assert (
        accounted.metadata["rows_read"].value
        == accounted.metadata["rows_loaded"].value + accounted.metadata["rows_rejected"].value
    )
    assert all(check(warehouse=warehouse).passed for check in foreign_key_checks + conversion_checks)

    # A row that disappears, a reference that dangles, an amount without conversion:
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "DELETE FROM staging.interactions "
            "WHERE interaction_id = (SELECT min(interaction_id) FROM staging.interactions)"
        )
        conn.execute(
            "UPDATE staging.transactions SET agreement_id = 'NOPE' "
            "WHERE transaction_id = (SELECT min(transaction_id) FROM staging.transactions)"
        )
        conn.execute(
            "UPDATE staging.expenditures SET amount_eur = NULL "
            "WHERE expenditure_id = (SELECT min(expenditure_id) FROM staging.expenditures)"
        )
    accounted = every_row_accounted_for(warehouse=warehouse)
    assert not accounted.passed
    assert accounted.metadata["unbalanced_tables"].value == "interactions"
    results = {check_name(c): c(warehouse=warehouse) for c in foreign_key_checks + conversion_checks}
    failed = sorted(name for name, r in results.items() if not r.passed)
    assert failed == ["expenditures:amounts_converted", "transactions:foreign_keys_resolve"]
    assert results["transactions:foreign_keys_resolve"].metadata["dangling_agreement_id"].value == 1


def test_a_bad_package_fails_the_asset_with_the_loaders_message(tmp_path, package):
    folder = package()
    (folder / "regions.csv").write_text("code,name\nEU,Europe\n")
    result = run_load(folder, tmp_path / "w.duckdb")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_failure_data.user_failure_data.description == (
        f"{folder / 'regions.csv'}: required column 'region_code' is missing (the header has: code, name)"
    )


def test_dagster_definitions_validate(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "WAREHOUSE_PATH": str(tmp_path / "w.duckdb")}
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "pipelines.definitions"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_folder_of_iati_files_is_imported_then_loaded(tmp_path):
    """PARTNER_DATA_DIR holding only iati/: the importer builds a package next to the
    warehouse, and the load reads that package."""
    import shutil

    from pipelines.importers.assets import imported_package

    source = Path(__file__).resolve().parents[1] / "external" / "iati" / "activities" / "v2" / "sr-activity.xml"
    data = tmp_path / "office"
    (data / "iati").mkdir(parents=True)
    shutil.copy(source, data / "iati")
    warehouse = tmp_path / "w.duckdb"
    result = materialize(
        [imported_package, load_partner_package],
        resources={"package": PackageResource(data_dir=str(data)), "warehouse": WarehouseResource(path=str(warehouse))},
    )
    assert result.success
    conn = duckdb.connect(str(warehouse), read_only=True)
    # Syria Relief's 2017: income of 19,504,521 and expenditure of 20,801,890, both in GBP
    # although the activity's default currency is USD.
    assert conn.execute("SELECT transaction_type, amount::VARCHAR, currency FROM staging.transactions").fetchall() == [
        ("income", "19504521.00", "GBP")
    ]
    assert conn.execute("SELECT amount::VARCHAR, currency FROM staging.expenditures").fetchall() == [
        ("20801890.00", "GBP")
    ]
    assert conn.execute("SELECT count(*) FROM audit.rejects").fetchone()[0] == 0
    assert conn.execute("SELECT DISTINCT region_code FROM staging.agreements").fetchall() == [("MENA",)]
