"""The Dagster code location: every asset, check and resource of the project.

Policies that apply to all assets live here, not in the domain modules: owners, code
references and declarative automation are added to whatever ASSET_MODULES hold, so an
asset added later gets them too. Jobs, schedules and sensors are in automation.py.
"""

import warnings

from dagster import (
    AssetSpec,
    AutomationCondition,
    BetaWarning,
    Definitions,
    in_process_executor,
    load_asset_checks_from_modules,
    load_assets_from_modules,
    map_asset_specs,
    with_source_code_references,
)

from pipelines import automation
from pipelines.importers import assets as importer_assets
from pipelines.ingest import assets as ingest_assets
from pipelines.ingest import checks as ingest_checks
from pipelines.metrics import assets as metric_assets
from pipelines.metrics import checks as metric_checks
from pipelines.reports import assets as report_assets
from pipelines.resources import PackageResource
from pipelines.settings import Settings
from pipelines.warehouse import WarehouseResource

ASSET_MODULES = [importer_assets, ingest_assets, metric_assets, report_assets]
CHECK_MODULES = [ingest_checks, metric_checks]

# Who answers for each group, shown on every asset in the UI ("team:" owners, not people,
# so the graph outlives staff changes).
OWNERS_BY_GROUP = {
    "ingest": ["team:data-engineering"],
    "metrics": ["team:analytics"],
    "reports": ["team:reporting"],
}
DEFAULT_OWNERS = ["team:data-engineering"]

# Marts follow the loaded tables on their own (the automation sensor materializes them
# after a load), but never from a load whose blocking checks failed. Reports are not
# automated: they are for a reporting period, which the quarterly schedule or an analyst picks.
KEEP_CURRENT = (AutomationCondition.eager() & AutomationCondition.all_deps_blocking_checks_passed()).with_label(
    "eager, once upstream blocking checks pass"
)
AUTOMATED_GROUPS = {"metrics"}


def resources(settings: Settings) -> dict:
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse_path),
            catalog=settings.lake.catalog if settings.lake else "",
            data_path=str(settings.lake.data_path) if settings.lake else "",
        ),
        "package": PackageResource(
            data_dir=str(settings.partner_data_dir),
            reporting_currency=settings.reporting_currency,
            plausible_date_from=settings.plausible_dates[0].isoformat(),
            plausible_date_to=settings.plausible_dates[1].isoformat(),
            max_rejected_share=settings.max_rejected_share,
        ),
        "metric_settings": metric_assets.MetricSettingsResource(
            fiscal_year_start_month=settings.fiscal_year_start_month
        ),
        "reports": report_assets.ReportsResource.from_env(settings),
    }


def apply_policies(spec: AssetSpec) -> AssetSpec:
    """Owners by group and, for derived tables, declarative automation."""
    spec = spec.replace_attributes(owners=spec.owners or OWNERS_BY_GROUP.get(spec.group_name, DEFAULT_OWNERS))
    if spec.group_name in AUTOMATED_GROUPS and spec.automation_condition is None:
        spec = spec.replace_attributes(automation_condition=KEEP_CURRENT)
    return spec


def project_assets() -> list:
    """The assets of ASSET_MODULES with the project's policies and links to their source."""
    assets = map_asset_specs(apply_policies, load_assets_from_modules(ASSET_MODULES))
    with warnings.catch_warnings():  # code references are "beta"; say so once, here, not on every run
        warnings.simplefilter("ignore", BetaWarning)
        return with_source_code_references(assets)


def build_definitions(settings: Settings) -> Definitions:
    assets = project_assets()
    return Definitions(
        assets=assets,
        asset_checks=load_asset_checks_from_modules(CHECK_MODULES),
        jobs=automation.jobs(),
        schedules=[
            automation.quarterly_reports_schedule(assets),
            *automation.fiscal_year_schedules(assets, settings.fiscal_year_start_month),
        ],
        sensors=[
            automation.package_sensor(settings.partner_data_dir),
            automation.automation_sensor(),
            automation.region_partitions_sensor(settings.warehouse_path, report_assets.REGION_PARTITIONS.name),
        ],
        resources=resources(settings),
        # Steps of a run execute one after another (DuckDB has one writer at a time);
        # runs queue one after another through the instance's run queue (dagster.yaml).
        executor=in_process_executor,
    )


defs = build_definitions(Settings.from_env())
