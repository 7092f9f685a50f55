"""The Dagster code location: every asset, check and resource of the project.

Policies that apply to all assets live here, not in the domain modules.
"""

from dagster import Definitions, define_asset_job, in_process_executor, load_asset_checks_from_modules, load_assets_from_modules

from pipelines.importers import assets as importer_assets
from pipelines.ingest import assets as ingest_assets
from pipelines.ingest import checks as ingest_checks
from pipelines.resources import PackageResource
from pipelines.settings import Settings
from pipelines.warehouse import WarehouseResource

ASSET_MODULES = [ingest_assets, importer_assets]
CHECK_MODULES = [ingest_checks]

refresh_all = define_asset_job("refresh_all", description="Load the partner data package and rebuild everything downstream.")


def resources(settings: Settings) -> dict:
    return {
        "warehouse": WarehouseResource(path=str(settings.warehouse_path)),
        "package": PackageResource(
            data_dir=str(settings.partner_data_dir),
            reporting_currency=settings.reporting_currency,
        ),
    }


def build_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=load_assets_from_modules(ASSET_MODULES),
        asset_checks=load_asset_checks_from_modules(CHECK_MODULES),
        jobs=[refresh_all],
        resources=resources(settings),
        # The warehouse has one writer at a time: steps of a run execute one after another.
        executor=in_process_executor,
    )


defs = build_definitions(Settings.from_env())
