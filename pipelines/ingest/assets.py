"""Dagster assets of the ingest group: the loaded package, table by table."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableSchema,
    multi_asset,
)

from pipelines.importers.assets import IMPORTED_PACKAGE
from pipelines.importers.workspace import package_to_load
from pipelines.ingest.contract import TABLES
from pipelines.ingest.load import LoadReport, load_package
from pipelines.ingest.read import PackageError
from pipelines.resources import PackageResource
from pipelines.schema import INPUTS
from pipelines.warehouse import WarehouseResource, table_schema


def staging_key(table: str) -> AssetKey:
    return AssetKey(["staging", table])


REJECTS = AssetKey(["audit", "rejects"])
LOAD_SUMMARY = AssetKey(["audit", "load_summary"])

# Every loaded table depends on the imported package: it is what gets loaded when the
# package folder holds IATI / 360Giving files.
SPECS = [
    AssetSpec(
        staging_key(t.name), description=t.description, group_name="ingest", kinds={"duckdb"}, deps=[IMPORTED_PACKAGE]
    )
    for t in TABLES
] + [
    AssetSpec(
        REJECTS,
        group_name="ingest",
        kinds={"duckdb"},
        deps=[IMPORTED_PACKAGE],
        description="Every input row that broke a rule of the data contract: file line, rule, message, raw row.",
    ),
    AssetSpec(
        LOAD_SUMMARY,
        group_name="ingest",
        kinds={"duckdb"},
        deps=[IMPORTED_PACKAGE],
        description="Rows read, loaded and rejected per table of the last load, and the package fingerprint.",
    ),
]

# The staging tables' column descriptions in the UI, from pipelines/schema/inputs.yml.
COLUMN_DESCRIPTIONS = {staging_key(t.name): t.descriptions() for t in INPUTS}


@multi_asset(
    specs=SPECS,
    name="load_partner_package",
    description="Validate the partner data package and load it into DuckDB in one transaction.",
)
def load_partner_package(context: AssetExecutionContext, package: PackageResource, warehouse: WarehouseResource):
    # A package that arrives as IATI / 360Giving files is loaded from the folder the
    # importers built next to the warehouse.
    folder = package_to_load(package.data_dir, warehouse.path)
    context.log.info(f"Loading the partner data package at {folder}")
    try:
        with warehouse.get_connection() as conn:
            # Per table: rows read, loaded and rejected, rows/s and elapsed time, in the run
            # log and on the CLI's output.
            report = load_package(
                folder, conn, package.reporting_currency, progress=context.log.info, date_window=package.date_window
            )
            schemas = {
                key: table_schema(conn, ".".join(key.path), COLUMN_DESCRIPTIONS.get(key))
                for key in (s.key for s in SPECS)
            }
    except PackageError as err:
        # A clean message in the UI instead of a traceback: the file, and what is wrong with it.
        raise Failure(description=str(err), allow_retries=False) from None
    yield from materializations(report, schemas)


def materializations(report: LoadReport, schemas: dict[AssetKey, TableSchema]):
    for table in report.tables:
        key = staging_key(table.source)
        yield MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": table.rows_loaded,
                "dagster/column_schema": schemas[key],
                "rows_read": table.rows_read,
                "rows_rejected": table.rows_rejected,
                "source_file": table.file,
            },
        )
    yield MaterializeResult(
        asset_key=REJECTS,
        metadata={
            "dagster/row_count": report.rows_rejected,
            "dagster/column_schema": schemas[REJECTS],
            "by_table": MetadataValue.md(_rejects_markdown(report)),
        },
    )
    yield MaterializeResult(
        asset_key=LOAD_SUMMARY,
        metadata={
            "dagster/row_count": len(report.tables),
            "dagster/column_schema": schemas[LOAD_SUMMARY],
            "package_fingerprint": report.fingerprint,
            "reporting_currency": report.reporting_currency,
        },
    )


def _rejects_markdown(report: LoadReport) -> str:
    lines = ["| table | read | loaded | rejected |", "|---|---:|---:|---:|"]
    lines += [f"| {t.source} | {t.rows_read} | {t.rows_loaded} | {t.rows_rejected} |" for t in report.tables]
    return "\n".join(lines)
