"""Every table asset reports its column schema and row count when it is materialized,
so the UI's asset page shows what is in the table without opening DuckDB."""

from dagster import AssetSelection, DagsterInstance
from package_fixture import write_package

from pipelines.definitions import build_definitions
from pipelines.settings import Settings

TABLE_KINDS = {"duckdb", "polars"}


def test_every_table_asset_reports_columns_and_rows(tmp_path):
    settings = Settings.from_env(
        {
            "PARTNER_DATA_DIR": str(write_package(tmp_path / "package")),
            "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
            "REPORTS_DIR": str(tmp_path / "reports"),
        }
    )
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    tables = {k for k in graph.materializable_asset_keys if graph.get(k).kinds & TABLE_KINDS}
    # Everything up to the tables (reports render PDFs and are not tables; they are left out for time).
    selection = AssetSelection.assets(*tables).upstream().resolve(graph)
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_job_def("refresh_all").execute_in_process(instance=instance, asset_selection=list(selection))
    assert result.success

    assert tables, "no table assets found"
    for key in tables:
        metadata = instance.get_latest_materialization_event(key).asset_materialization.metadata
        name = key.to_user_string()
        assert "dagster/column_schema" in metadata, f"{name} has no column schema"
        assert metadata["dagster/column_schema"].schema.columns, f"{name}: empty column schema"
        assert "dagster/row_count" in metadata, f"{name} has no row count"
    # One valid row per table in the package fixture.
    staging = instance.get_latest_materialization_event(next(k for k in tables if k.path == ["staging", "partners"]))
    assert staging.asset_materialization.metadata["dagster/row_count"].value == 1
