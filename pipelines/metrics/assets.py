"""Dagster assets of the metrics group: the staging tables in, the published marts out.

One multi-asset reads the staged tables into Polars, computes every metric of
metrics.md (compute.py) and replaces the marts in one DuckDB transaction (marts.py),
so a report never sees a sustainability mart from one run beside a support mix from another.
"""

from datetime import UTC, date, datetime

import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    ConfigurableResource,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)
from pydantic import Field

from pipelines.crashpoints import reached
from pipelines.ingest.assets import staging_key
from pipelines.metrics.compute import Marts, compute_region_metrics
from pipelines.metrics.facts import ALL, COLUMNS, MetricsInputError
from pipelines.metrics.insight import InsightMarts, compute_insight_marts
from pipelines.metrics.latest_year import COLUMNS as LATEST_YEAR_COLUMNS
from pipelines.metrics.latest_year import YearChoice, latest_complete_year, no_year_message
from pipelines.metrics.marts import read_staging_frames, staged_rows, write_marts
from pipelines.metrics.settings import MetricSettings, MetricSettingsError
from pipelines.progress import Progress
from pipelines.schema import MARTS
from pipelines.warehouse import WarehouseResource, table_schema

DEFAULTS = MetricSettings()


def mart_key(table: str) -> AssetKey:
    return AssetKey(["marts", table])


SUSTAINABILITY = mart_key("region_sustainability")
SUPPORT_MIX = mart_key("region_support_mix")
PARTNER_SUPPORT = mart_key("region_partner_support")
EXPIRING_COMMITMENTS = mart_key("region_expiring_commitments")
METRIC_SETTINGS = mart_key("metric_settings")
TRENDS = mart_key("region_trends")
CHANGES = mart_key("region_changes")
CASH_PROJECTION = mart_key("region_cash_projection")

STAGING = [staging_key(table) for table in COLUMNS]
# Descriptions of the marts and their columns, for the UI: pipelines/schema/marts.yml.
DESCRIPTIONS = {mart_key(table.name): table.description for table in MARTS}
COLUMN_DESCRIPTIONS = {mart_key(table.name): table.descriptions() for table in MARTS}


class MetricSettingsResource(ConfigurableResource):
    """Thresholds, score weights and fiscal-year start; the spec's defaults unless a run says otherwise."""

    hhi_moderate_from: float = Field(DEFAULTS.hhi_moderate_from, description="HHI from which concentration is moderate")
    hhi_high_above: float = Field(DEFAULTS.hhi_high_above, description="HHI above which concentration is high")
    dominant_funder_share_above: float = Field(
        DEFAULTS.dominant_funder_share_above, description="top funder share above which `dominant_funder` is raised"
    )
    short_runway_months_below: float = Field(
        DEFAULTS.short_runway_months_below, description="runway (months) below which `short_runway` is raised"
    )
    top_funder_cliff_months_below: float = Field(
        DEFAULTS.top_funder_cliff_months_below,
        description="runway without the top funder below which `top_funder_cliff` is raised",
    )
    low_renewal_below: float = Field(
        DEFAULTS.low_renewal_below, description="renewal rate below which `low_renewal` is raised"
    )
    low_engagement_below: float = Field(
        DEFAULTS.low_engagement_below, description="engaged partner share below which `low_engagement` is raised"
    )
    weight_diversification: float = Field(DEFAULTS.weight_diversification, description="score weight of 1 − HHI")
    weight_runway: float = Field(DEFAULTS.weight_runway, description="score weight of min(runway / 12, 1)")
    weight_renewal: float = Field(DEFAULTS.weight_renewal, description="score weight of the renewal rate")
    weight_engagement: float = Field(
        DEFAULTS.weight_engagement, description="score weight of the engaged partner share"
    )
    weight_margin: float = Field(
        DEFAULTS.weight_margin, description="score weight of clip(operating margin + 0.5, 0, 1)"
    )
    fiscal_year_start_month: int = Field(
        DEFAULTS.fiscal_year_start_month, description="1 = calendar years only; another month adds fiscal years"
    )
    min_spending_share: float = Field(
        DEFAULTS.min_spending_share,
        description="12-month spending below this share of 12-month support: "
        "runway, coverage and margin are withheld from the report",
    )

    def metric_settings(self) -> MetricSettings:
        return MetricSettings(**{name: getattr(self, name) for name in DEFAULTS.__dataclass_fields__})


@multi_asset(
    specs=[
        AssetSpec(key, description=DESCRIPTIONS[key], group_name="metrics", kinds={"polars", "duckdb"}, deps=STAGING)
        for key in DESCRIPTIONS
    ],
    name="compute_region_metrics",
    description="Compute the sustainability metrics per region with Polars and publish the marts.",
)
def region_metrics(
    context: AssetExecutionContext, warehouse: WarehouseResource, metric_settings: MetricSettingsResource
):
    reached("metrics:started")
    try:
        settings = metric_settings.metric_settings()
    except MetricSettingsError as err:
        raise Failure(description=f"metric settings: {err}", allow_retries=False) from None
    with warehouse.get_connection() as conn, Progress(context.log.info, "metrics") as progress:
        frames = read_staging_frames(conn)
        progress.done("staging tables read", staged_rows(conn))
        try:
            marts = compute_region_metrics(frames, settings, progress)
            insight = compute_insight_marts(frames, marts, settings)
        except MetricsInputError as err:
            raise Failure(description=str(err), allow_retries=False) from None
        published = sum(frame.height for frame in marts) + sum(frame.height for frame in insight)
        progress.done("marts computed", published)
        reached("metrics:computed")
        write_marts(conn, marts, settings, insight)
        progress.done("marts written", published)
        schemas = {key: table_schema(conn, ".".join(key.path), COLUMN_DESCRIPTIONS[key]) for key in DESCRIPTIONS}
    yield from materializations(marts, settings, schemas, datetime.now(UTC).date(), insight)


def materializations(
    marts: Marts, settings: MetricSettings, schemas: dict, today: date, insight: InsightMarts | None = None
):
    settings_md = MetadataValue.md(settings_markdown(settings))
    rows = {
        SUSTAINABILITY: marts.sustainability.height,
        SUPPORT_MIX: marts.support_mix.height,
        PARTNER_SUPPORT: marts.partner_support.height,
        EXPIRING_COMMITMENTS: marts.expiring_commitments.height,
        METRIC_SETTINGS: len(settings.rows()),
    }
    if insight is not None:
        rows |= {
            TRENDS: insight.trends.height,
            CHANGES: insight.changes.height,
            CASH_PROJECTION: insight.cash_projection.height,
        }
    for key, row_count in rows.items():
        metadata = {"dagster/row_count": row_count, "dagster/column_schema": schemas[key]}
        if key == SUSTAINABILITY:
            choice = latest_complete_year(marts.sustainability.select(LATEST_YEAR_COLUMNS).to_dicts(), today)
            metadata["latest_year"] = choice.period or "none"
            metadata["skipped_empty_years"] = ", ".join(choice.skipped) or "none"
            metadata["by_region"] = MetadataValue.md(latest_year_markdown(marts.sustainability, choice, today))
        if key in (SUSTAINABILITY, METRIC_SETTINGS):
            metadata["settings"] = settings_md
        yield MaterializeResult(asset_key=key, metadata=metadata)


def latest_year_markdown(sustainability: pl.DataFrame, choice: YearChoice, today: date) -> str:
    """Score, concentration, runway and flags of each region in the year the reports default
    to (pipelines/metrics/latest_year.py), best score first."""
    if choice.period is None:
        return no_year_message(choice, today)
    year = choice.period
    rows = sustainability.filter(pl.col("period") == year).sort(
        pl.col("region_code") == ALL, pl.col("sustainability_score"), descending=[False, True], nulls_last=True
    )
    lines = [
        f"**{year}**",
        "",
        "| region | score | HHI | band | runway (months) | without top funder | flags | spending figures withheld |",
        "|---|---:|---:|---|---:|---:|---|---|",
    ]
    for r in rows.iter_rows(named=True):
        lines.append(
            f"| {r['region_code']} | {_number(r['sustainability_score'], 1)} | {_number(r['hhi'], 3)} "
            f"| {r['concentration_band'] or '–'} | {_number(r['runway_months'], 1)} "
            f"| {_number(r['runway_without_top_funder_months'], 1)} | {', '.join(r['risk_flags'] or []) or '–'} "
            f"| {r['spending_figures_withheld'] or '–'} |"
        )
    if choice.skipped:
        lines += ["", choice.skipped_sentence()]
    return "\n".join(lines)


def settings_markdown(settings: MetricSettings) -> str:
    return "\n".join(["| setting | value |", "|---|---:|", *(f"| {n} | {v} |" for n, v in settings.rows())])


def _number(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
