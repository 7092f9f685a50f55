"""Leadership insight: trends, what changed since the previous period, and the funding cliff.

Three marts built on the published ones (compute.py) and the same staging facts:
- marts.region_trends: each region × period with seven headline figures, the previous
  period's value (the period of the same length just before) and the change;
- marts.region_changes: what changed between a period and the previous one, one row per
  region × period × change kind × subject (a partner, flag, score component or agreement);
- marts.region_cash_projection: 24 months from each period end, committed inflows from the
  agreements in force against the trailing monthly burn, cumulative, with the cliff month.

Definitions: docs/metrics.md, "Trends, changes and the funding cliff". Pure Polars, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import polars as pl

from pipelines.metrics import commitments
from pipelines.metrics.compute import Marts
from pipelines.metrics.facts import MONEY, Facts, prepare_facts, with_all
from pipelines.metrics.partnerships import ENGAGEMENT_WINDOW_DAYS
from pipelines.metrics.periods import build_periods
from pipelines.metrics.score import RISK_FLAGS, score_components
from pipelines.metrics.settings import MetricSettings
from pipelines.schema import computed_schema, published_schema

KEYS = ["region_code", "period"]
PROJECTION_MONTHS = 24

# The figures followed over time, with their types in marts.region_sustainability.
TREND_MEASURES: dict[str, pl.DataType] = {
    m: computed_schema("region_sustainability")[m]
    for m in (
        "support_eur",
        "expenditure_eur",
        "hhi",
        "runway_months",
        "renewal_rate",
        "engaged_partner_share",
        "sustainability_score",
    )
}

# Change kinds, in the order the report lists them.
CHANGE_KINDS = (
    "score_component",
    "flag_raised",
    "flag_cleared",
    "funder_gained",
    "funder_lost",
    "agreement_ended_unrenewed",
    "partner_went_silent",
)

CHANGES_COLUMNS = computed_schema("region_changes")


class InsightMarts(NamedTuple):
    trends: pl.DataFrame  # marts.region_trends
    changes: pl.DataFrame  # marts.region_changes
    cash_projection: pl.DataFrame  # marts.region_cash_projection


def compute_insight_marts(
    frames: Mapping[str, pl.DataFrame], marts: Marts, settings: MetricSettings | None = None
) -> InsightMarts:
    """The three insight marts from the staging frames and the marts computed from them
    (`compute_region_metrics(frames, settings)`, with the same settings)."""
    settings = settings or MetricSettings()
    facts = prepare_facts(frames)
    periods = build_periods(*facts.dated_span(), settings.fiscal_year_start_month)
    previous = previous_periods(periods)
    in_force = with_all(
        commitments.with_remaining(commitments.agreements_in_force(facts.agreements, periods), facts.transactions)
    )
    return InsightMarts(
        trends=_published(
            region_trends(marts.sustainability, previous),
            "region_trends",
            ["region_code", "period_type", "period_start"],
        ),
        changes=_published(
            region_changes(marts.sustainability, marts.partner_support, facts, in_force, previous, periods, settings),
            "region_changes",
            ["region_code", "period_type", "period", "_kind", "_order", "subject_id"],
            working={"_kind", "_order"},
        ),
        cash_projection=_published(
            cash_projection(marts.sustainability, in_force),
            "region_cash_projection",
            ["region_code", "period_type", "period_end", "month_number"],
            working={"inflow", "inflow_without_top"},
        ),
    )


def previous_periods(periods: pl.DataFrame) -> pl.DataFrame:
    """(period, previous_period): the period of the same length just before, when it is one of
    the marts' periods (the first year, quarter or fiscal year has none: null)."""
    earlier = periods.select(
        previous_period="period", period_type="period_type", previous_start="period_start", previous_end="period_end"
    )
    return (
        periods.select("period", "period_type", "previous_start", "previous_end")
        .join(earlier, on=["period_type", "previous_start", "previous_end"], how="left")
        .select("period", "previous_period")
    )


# --- Trends -------------------------------------------------------------------------


def region_trends(sustainability: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Each region × period with the TREND_MEASURES, their value in the previous period of the
    same length and the change (value − previous; null when either is null)."""
    measures = list(TREND_MEASURES)
    base = sustainability.select(
        *KEYS, "period_type", "period_start", "period_end", *measures, "spending_figures_withheld"
    )
    before = base.select(
        "region_code",
        previous_period=pl.col("period"),
        previous_spending_figures_withheld=pl.col("spending_figures_withheld"),
        **{f"{m}_previous": pl.col(m) for m in measures},
    )
    return (
        base.join(previous, on="period", how="left")
        .join(before, on=["region_code", "previous_period"], how="left")
        .with_columns(
            (pl.col(m) - pl.col(f"{m}_previous")).cast(TREND_MEASURES[m]).alias(f"{m}_change") for m in measures
        )
    )


# --- What changed -------------------------------------------------------------------


def score_contributions(settings: MetricSettings) -> dict[str, pl.Expr]:
    """Each component's points in the score: 100 × weight × component / Σ weights of the
    components present. They add up to sustainability_score; null when the score is null."""
    weights = settings.weights()
    components = score_components()
    present = pl.sum_horizontal(
        [pl.when(components[name].is_not_null()).then(pl.lit(w)).otherwise(pl.lit(0.0)) for name, w in weights.items()]
    )
    return {
        name: pl.when(present > 0).then(100 * w * components[name].fill_null(0.0) / present)
        for name, w in weights.items()
    }


def region_changes(
    sustainability: pl.DataFrame,
    partner_support: pl.DataFrame,
    facts: Facts,
    in_force: pl.DataFrame,
    previous: pl.DataFrame,
    periods: pl.DataFrame,
    settings: MetricSettings,
) -> pl.DataFrame:
    """One row per region × period × change kind × subject; see docs/metrics.md."""
    kinds = {kind: i for i, kind in enumerate(CHANGE_KINDS)}
    period_types = periods.select("period", "period_type")
    # Current and previous rows side by side, only where the previous period is a marts period.
    pairs = (
        sustainability.join(previous, on="period")
        .filter(pl.col("previous_period").is_not_null())
        .join(periods.select("period", "previous_end"), on="period")
    )
    parts = [
        _score_components(sustainability, pairs, settings),
        _flag_changes(sustainability, pairs),
        _funder_changes(partner_support, pairs),
        _ended_unrenewed(facts, periods),
        _gone_silent(partner_support, in_force, pairs),
    ]
    rows = pl.concat(
        [
            p.select(
                pl.col(c).cast(t) if c in p.columns else pl.lit(None, t).alias(c)
                for c, t in {**CHANGES_COLUMNS, "_order": pl.Int64}.items()
                if c not in ("period_type", "previous_period", "partner_name")
            )
            for p in parts
        ]
    )
    names = facts.partners.select("partner_id", partner_name="name")
    return (
        rows.join(period_types, on="period", how="left")
        .join(previous, on="period", how="left")
        .join(names, on="partner_id", how="left")
        .with_columns(
            subject_name=pl.when(pl.col("change_kind").is_in(["funder_gained", "funder_lost", "partner_went_silent"]))
            .then(pl.col("partner_name"))
            .otherwise(pl.col("subject_name")),
            _kind=pl.col("change_kind").replace_strict(kinds, return_dtype=pl.Int32),
        )
    )


def _score_components(sustainability: pl.DataFrame, pairs: pl.DataFrame, settings: MetricSettings) -> pl.DataFrame:
    contributions = score_contributions(settings)
    components = score_components()
    names = list(contributions)
    scored = sustainability.select(
        *KEYS,
        *(contributions[n].alias(f"points_{n}") for n in names),
        *(components[n].alias(f"value_{n}") for n in names),
        score=pl.col("sustainability_score"),
    )
    before = scored.rename({c: f"{c}_before" for c in scored.columns if c not in KEYS}).rename(
        {"period": "previous_period"}
    )
    both = (
        pairs.select(*KEYS, "previous_period")
        .join(scored, on=KEYS)
        .join(before, on=["region_code", "previous_period"])
        .filter(pl.col("score").is_not_null() & pl.col("score_before").is_not_null())
    )
    return pl.concat(
        [
            both.select(
                *KEYS,
                change_kind=pl.lit("score_component"),
                subject_id=pl.lit(name),
                subject_name=pl.lit(name),
                value=pl.col(f"value_{name}"),
                previous_value=pl.col(f"value_{name}_before"),
                points=pl.col(f"points_{name}") - pl.col(f"points_{name}_before"),
                _order=pl.lit(i, pl.Int64),
            )
            for i, name in enumerate(names)
        ]
    )


def _flag_changes(sustainability: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    order = {flag: i for i, flag in enumerate(RISK_FLAGS)}
    flags = sustainability.select(*KEYS, flag=pl.col("risk_flags")).explode("flag").drop_nulls("flag")
    now = pairs.select(*KEYS, "previous_period").join(flags, on=KEYS)
    before = pairs.select(*KEYS, "previous_period").join(
        flags.rename({"period": "previous_period"}), on=["region_code", "previous_period"]
    )
    on = ["region_code", "period", "flag"]
    raised = now.join(before, on=on, how="anti").with_columns(change_kind=pl.lit("flag_raised"))
    cleared = before.join(now, on=on, how="anti").with_columns(change_kind=pl.lit("flag_cleared"))
    return pl.concat(
        [raised.select(*KEYS, "flag", "change_kind"), cleared.select(*KEYS, "flag", "change_kind")]
    ).select(
        *KEYS,
        "change_kind",
        subject_id="flag",
        subject_name="flag",
        _order=pl.col("flag").replace_strict(order, default=len(order), return_dtype=pl.Int64),
    )


def _funder_changes(partner_support: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """A funder is a partner with net support above 0 in the period (funder_count's rule)."""
    funders = partner_support.filter(pl.col("support_eur") > 0).select(*KEYS, "partner_id", "support_eur")
    keys = pairs.select(*KEYS, "previous_period")
    now = keys.join(funders, on=KEYS)
    before = keys.join(funders.rename({"period": "previous_period"}), on=["region_code", "previous_period"])
    on = ["region_code", "period", "partner_id"]
    gained = now.join(before, on=on, how="anti").with_columns(change_kind=pl.lit("funder_gained"))
    lost = before.join(now, on=on, how="anti").with_columns(change_kind=pl.lit("funder_lost"))
    return pl.concat([gained, lost]).select(
        *KEYS,
        "change_kind",
        subject_id="partner_id",
        partner_id="partner_id",
        amount_eur="support_eur",
        # Largest amount first: the order is by −amount in cents, then subject_id.
        _order=-(pl.col("support_eur") * 100).cast(pl.Int64),
    )


def _ended_unrenewed(facts: Facts, periods: pl.DataFrame) -> pl.DataFrame:
    """Agreements with end_date in P that no agreement renews (renewal_rate's rule)."""
    ended = with_all(facts.agreements.filter(~pl.col("renewed"))).join_where(
        periods.select("period", "period_start", "period_end"),
        pl.col("end_date") >= pl.col("period_start"),
        pl.col("end_date") <= pl.col("period_end"),
    )
    return ended.select(
        *KEYS,
        change_kind=pl.lit("agreement_ended_unrenewed"),
        subject_id="agreement_id",
        subject_name="title",
        partner_id="partner_id",
        event_date="end_date",
        amount_eur="committed_eur",
        _order=pl.col("end_date").cast(pl.Int64),
    )


def _gone_silent(partner_support: pl.DataFrame, in_force: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Partners engaged at the previous period's end (an agreement in the region in force and an
    interaction in the region in the 90 days to that end, engaged_partner_share's rule) who still
    have an agreement in force at this period's end but no interaction in the 90 days to it.
    The amount is what is still to come from their agreements in force (committed pipeline)."""
    window = pl.duration(days=ENGAGEMENT_WINDOW_DAYS - 1)
    in_force_partners = partner_support.filter(pl.col("agreements_in_force") > 0)
    before = in_force_partners.select(
        "region_code", previous_period="period", partner_id="partner_id", last_before="last_interaction_date"
    )
    pipeline = in_force.group_by(*KEYS, "partner_id").agg(remaining=pl.col("remaining_eur").sum())
    return (
        in_force_partners.select(*KEYS, "partner_id", last_now="last_interaction_date")
        .join(pairs.select(*KEYS, "previous_period", "period_end", "previous_end"), on=KEYS)
        .join(before, on=["region_code", "previous_period", "partner_id"])
        .filter(
            (pl.col("last_before") >= pl.col("previous_end") - window)
            & (pl.col("last_now").is_null() | (pl.col("last_now") < pl.col("period_end") - window))
        )
        .join(pipeline, on=[*KEYS, "partner_id"], how="left")
        .select(
            *KEYS,
            change_kind=pl.lit("partner_went_silent"),
            subject_id="partner_id",
            partner_id="partner_id",
            event_date="last_now",
            amount_eur=pl.col("remaining").fill_null(0),
            _order=-(pl.col("remaining").fill_null(0) * 100).cast(pl.Int64),
        )
    )


# --- Funding cliff ------------------------------------------------------------------


def cash_projection(
    sustainability: pl.DataFrame, in_force: pl.DataFrame, months: int = PROJECTION_MONTHS
) -> pl.DataFrame:
    """Month by month for `months` months after each period_end: committed inflows against the
    trailing monthly burn, cumulative, with and without the top funder, and the cliff month.

    Each agreement in force at period_end spreads its remaining amount evenly over its remaining
    days (period_end, end_date], as multi_year_coverage does; month m receives the share of those
    days that fall in it. Inflows are summed per region and month, then rounded to cents; the
    cumulative figures add the rounded months. The cliff is the first month whose cumulative
    inflow is below the cumulative burn (equal still covers); null when none within `months`.
    """
    month_numbers = pl.DataFrame({"month_number": list(range(1, months + 1))}, schema={"month_number": pl.Int32})
    grid = (
        sustainability.select(*KEYS, "period_type", "period_end", "top_funder_id", burn_eur="monthly_burn_eur")
        .join(month_numbers, how="cross")
        .with_columns(
            month=(pl.col("period_end") + pl.duration(days=1)).dt.offset_by(
                pl.format("{}mo", pl.col("month_number") - 1)
            )
        )
    )
    period_end, end_date = pl.col("period_end"), pl.col("end_date")
    days_left = (end_date - period_end).dt.total_days()
    month_end = pl.col("month").dt.month_end()
    days_in_month = (pl.min_horizontal(end_date, month_end) - (pl.col("month") - pl.duration(days=1))).dt.total_days()
    spread = (
        in_force.filter((days_left > 0) & (pl.col("remaining_eur") > 0))
        .select(*KEYS, "partner_id", "period_end", "end_date", "remaining_eur")
        .join(grid.select(*KEYS, "month_number", "month", "top_funder_id"), on=KEYS)
        .filter(pl.col("month") <= end_date)
        .with_columns(inflow=pl.col("remaining_eur").cast(pl.Float64) * days_in_month.clip(lower_bound=0) / days_left)
        .group_by(*KEYS, "month_number")
        .agg(
            inflow=pl.col("inflow").sum(),
            inflow_without_top=pl.col("inflow")
            .filter(pl.col("partner_id") != pl.col("top_funder_id").fill_null(""))
            .sum(),
        )
    )
    cents = lambda c: pl.col(c).fill_null(0.0).round(2).cast(MONEY)  # noqa: E731
    group = pl.col("month_number")
    projected = (
        grid.join(spread, on=[*KEYS, "month_number"], how="left")
        .with_columns(inflow_eur=cents("inflow"), inflow_without_top_funder_eur=cents("inflow_without_top"))
        .sort(*KEYS, "month_number")
        .with_columns(
            cumulative_inflow_eur=pl.col("inflow_eur").cum_sum().over(KEYS, order_by=group).cast(MONEY),
            cumulative_inflow_without_top_funder_eur=pl.col("inflow_without_top_funder_eur")
            .cum_sum()
            .over(KEYS, order_by=group)
            .cast(MONEY),
            cumulative_burn_eur=(pl.col("burn_eur") * pl.col("month_number")).cast(MONEY),
        )
        .with_columns(
            covered=pl.col("cumulative_inflow_eur") >= pl.col("cumulative_burn_eur"),
            covered_without_top_funder=pl.col("cumulative_inflow_without_top_funder_eur")
            >= pl.col("cumulative_burn_eur"),
        )
    )
    return projected.with_columns(
        cliff_month=pl.col("month").filter(~pl.col("covered")).min().over(KEYS),
        cliff_month_without_top_funder=pl.col("month").filter(~pl.col("covered_without_top_funder")).min().over(KEYS),
    )


def _published(frame: pl.DataFrame, mart: str, sort_by: list[str], working: set[str] = frozenset()) -> pl.DataFrame:
    """The columns declared for `mart` (pipelines/schema/marts.yml), typed, sorted by `sort_by`;
    `working`: columns computed on the way, not published."""
    columns = published_schema(mart, frame.columns, working)
    return frame.sort(sort_by).select(pl.col(c).cast(t) for c, t in columns.items())
