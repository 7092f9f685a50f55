"""Dagster asset of the importers: the package folder's iati/ and 360giving/ files as one
partner data package in a work folder next to the warehouse (`<warehouse dir>/imported`)."""

from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, MetadataValue, asset

from pipelines.importers.package import ImportFailure
from pipelines.importers.reconciliation import markdown
from pipelines.importers.workspace import build_imported_package, has_standard_files, imported_dir
from pipelines.resources import PackageResource
from pipelines.warehouse import WarehouseResource

IMPORTED_PACKAGE = AssetKey(["ingest", "imported_package"])


@asset(
    key=IMPORTED_PACKAGE,
    group_name="ingest",
    kinds={"csv"},
    description="IATI and 360Giving files in the package folder's iati/ and 360giving/ subfolders, "
    "imported with the package's own tables into <warehouse dir>/imported/.",
)
def imported_package(
    context: AssetExecutionContext, package: PackageResource, warehouse: WarehouseResource
) -> MaterializeResult:
    if not has_standard_files(package.data_dir):
        context.log.info(f"{package.data_dir} has no iati/ or 360giving/ subfolder: nothing to import")
        return MaterializeResult(metadata={"imported": False})
    work_dir = imported_dir(warehouse.path)
    try:
        summaries = build_imported_package(package.data_dir, work_dir, log=context.log.info)
    except ImportFailure as error:
        raise Failure(description=str(error), allow_retries=False) from None
    metadata = {"imported": True, "folder": MetadataValue.path(str(work_dir))}
    for standard, summary in summaries.items():
        for line in summary.lines():
            context.log.info(f"{standard}: {line}")
        metadata[f"{standard}_summary"] = MetadataValue.md("\n".join(f"- {line}" for line in summary.lines()))
        metadata[f"{standard}_rejects"] = summary.rejects
        metadata[f"{standard}_reconciliation"] = MetadataValue.md(markdown(summary.reconciliation))
        if summary.errors:
            raise Failure(description="; ".join(summary.errors), allow_retries=False)
    return MaterializeResult(metadata=metadata)
