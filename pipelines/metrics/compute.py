"""compute_region_metrics: the staging tables in, the four marts out (pure Polars, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import polars as pl

from pipelines.metrics import commitments, impact, partnerships, support
from pipelines.metrics.facts import ALL, prepare_facts, sums_with_all, with_all
from pipelines.metrics.periods import build_periods, in_periods
from pipelines.metrics.score import risk_flags, sustainability_score
from pipelines.metrics.settings import MetricSettings
from pipelines.progress import Progress
from pipelines.schema import published_schema

KEYS = ["region_code", "period"]
PERIOD_COLUMNS = ["period_type", "period_start", "period_end"]

# Figures the sustainability computation forms on the way and does not publish (every other
# column it computes is declared in pipelines/schema/marts.yml, which checks it).
SUSTAINABILITY_WORKING = {
    "top_funder_pipeline_eur",
    "pipeline_next_12m_eur",
    "expenditure_12m_eur",
    "support_12m_eur",
    "previous_start",
    "previous_end",
}

# Figures that are counts or sums: 0, not null, when nothing happened in the period.
ZERO_WHEN_ABSENT = {
    "income_eur",
    "in_kind_eur",
    "expenditure_eur",
    "funder_count",
    "committed_pipeline_eur",
    "top_funder_pipeline_eur",
    "pipeline_next_12m_eur",
    "expenditure_12m_eur",
    "support_12m_eur",
    "agreements_ended",
    "active_partners",
    "new_partners",
    "activities",
    "participants",
    "libraries_reached",
}


class Marts(NamedTuple):
    sustainability: pl.DataFrame  # marts.region_sustainability
    support_mix: pl.DataFrame  # marts.region_support_mix
    partner_support: pl.DataFrame  # marts.region_partner_support
    expiring_commitments: pl.DataFrame  # marts.region_expiring_commitments


def compute_region_metrics(
    frames: Mapping[str, pl.DataFrame], settings: MetricSettings | None = None, progress: Progress | None = None
) -> Marts:
    """Every metric of metrics.md per region × period, plus the 'ALL' rows.

    `frames` maps staging table names (regions, partners, agreements, transactions,
    expenditures, activities, interactions, outcomes) to their Polars frames: the raw
    staging rows, or the daily sums of `marts.read_staging_frames` (the same marts).
    `progress`, when given, gets a line once the facts are compacted.
    """
    settings = settings or MetricSettings()
    facts = prepare_facts(frames)
    if progress is not None:
        progress.done("facts aggregated", facts.rows())
    periods = build_periods(*facts.dated_span(), settings.fiscal_year_start_month)

    support_in_period = support.support_in_periods(facts.transactions, periods)
    by_partner = support.partner_net_support(support_in_period)
    concentration = support.concentration(by_partner, settings)
    in_force = with_all(
        commitments.with_remaining(commitments.agreements_in_force(facts.agreements, periods), facts.transactions)
    )
    agreement_partners, active, previously_active = partnerships.active_now_and_before(
        facts.agreements, facts.interactions, periods
    )
    partner_rows = _partner_rows(by_partner, agreement_partners)
    # Last contacts for the rows that use them: partners in force (engagement) and the partner mart.
    last_contact = partnerships.last_interactions(
        facts.interactions,
        pl.concat(
            [
                in_force.select(partnerships.PARTNER_KEYS + ["period_end"]),
                partner_rows.join(periods.select("period", "period_end"), on="period"),
            ]
        ),
    )
    daily_expenditure = with_all(facts.expenditures)
    daily_support = with_all(
        facts.transactions.group_by("region_code", "transaction_date").agg(pl.col("amount_eur").sum())
    )

    parts = [
        support.support_totals(support_in_period),
        sums_with_all(
            in_periods(facts.expenditures, periods, "expenditure_date")
            .group_by(KEYS)
            .agg(expenditure_eur=pl.col("amount_eur").sum()),
            ["expenditure_eur"],
        ),
        concentration,
        commitments.pipeline_figures(in_force, concentration),
        commitments.trailing_expenditure(daily_expenditure, periods),
        commitments.trailing_support(daily_support, periods),
        partnerships.agreement_ends(with_all(facts.agreements), periods),
        partnerships.partnership_figures(
            active=active,
            previously_active=previously_active,
            first_contact=partnerships.first_contacts(facts.agreements, facts.interactions, facts.partners),
            periods=periods,
            in_force=in_force,
            last_contact=last_contact,
        ),
        impact.activity_figures(facts.activities, periods),
        impact.outcome_achievement(with_all(facts.outcomes), periods),
    ]
    grid = pl.DataFrame({"region_code": [*facts.region_codes, ALL]}).join(periods, how="cross")
    for part in parts:
        grid = grid.join(part, on=KEYS, how="left")

    sustainability = (
        grid.with_columns(pl.col(c).fill_null(0) for c in ZERO_WHEN_ABSENT)
        .with_columns(support_eur=pl.col("income_eur") + pl.col("in_kind_eur"))
        .with_columns(
            *commitments.runway_columns(),
            operating_margin=pl.when(pl.col("support_eur") > 0).then(
                (pl.col("support_eur") - pl.col("expenditure_eur")).cast(pl.Float64)
                / pl.col("support_eur").cast(pl.Float64)
            ),
            cost_per_participant_eur=pl.when(pl.col("participants") > 0).then(
                pl.col("expenditure_eur") / pl.col("participants")
            ),
        )
        .with_columns(_engagement_if_recorded(facts.interactions))
        .with_columns(
            sustainability_score(settings),
            risk_flags(settings),
            commitments.spending_figures_withheld(settings.min_spending_share),
        )
    )
    mix = support.support_mix(support_in_period, facts.partners)
    return Marts(
        sustainability=_published(
            sustainability,
            "region_sustainability",
            ["region_code", "period_type", "period_start"],
            SUSTAINABILITY_WORKING,
        ),
        support_mix=_published(mix, "region_support_mix", ["region_code", "period", "partner_type"]),
        partner_support=_published(
            _partner_support(partner_rows, by_partner, in_force, last_contact, facts.partners, periods),
            "region_partner_support",
            ["region_code", "period_type", "period", "partner_id"],
        ),
        expiring_commitments=_published(
            commitments.expiring_within_a_year(in_force)
            .join(facts.partners.select("partner_id", partner_name="name"), on="partner_id", how="left")
            .join(periods.select("period", "period_type"), on="period"),
            "region_expiring_commitments",
            ["region_code", "period_type", "period", "end_date", "agreement_id"],
            working={"committed_eur", "received_eur", "period_end"},
        ),
    )


def _engagement_if_recorded(interactions: pl.DataFrame) -> pl.Expr:
    """A package with no interaction at all (an IATI or 360Giving import) records no contact:
    engagement is unknown there, not zero, so it neither flags nor scores (docs/metrics.md)."""
    if interactions.is_empty():
        return pl.lit(None, pl.Float64).alias("engaged_partner_share")
    return pl.col("engaged_partner_share")


def _partner_rows(by_partner: pl.DataFrame, agreement_partners: pl.DataFrame) -> pl.DataFrame:
    """The keys of the partner mart: partners with support in P or an agreement in the region overlapping P."""
    return pl.concat([by_partner.select(partnerships.PARTNER_KEYS), agreement_partners]).unique()


def _partner_support(partner_rows, by_partner, in_force, last_contact, partners, periods) -> pl.DataFrame:
    """One row per partner with support in P or an agreement in the region overlapping P (`partner_rows`)."""
    in_force_counts = in_force.group_by(partnerships.PARTNER_KEYS).agg(agreements_in_force=pl.len())
    return (
        partner_rows.join(by_partner, on=partnerships.PARTNER_KEYS, how="left")
        .join(partners.select("partner_id", "partner_type", partner_name="name"), on="partner_id", how="left")
        .join(last_contact, on=partnerships.PARTNER_KEYS, how="left")
        .join(in_force_counts, on=partnerships.PARTNER_KEYS, how="left")
        .join(periods.select("period", "period_type"), on="period")
        .with_columns(pl.col("support_eur").fill_null(0), pl.col("agreements_in_force").fill_null(0))
    )


def _published(frame: pl.DataFrame, mart: str, sort_by: list[str], working: set[str] = frozenset()) -> pl.DataFrame:
    """The columns declared for `mart` (pipelines/schema/marts.yml), typed, in a stable row
    order; `working`: columns computed on the way, not published."""
    typed = frame.select(pl.col(c).cast(t) for c, t in published_schema(mart, frame.columns, working).items())
    return typed.sort([_sort_key(typed, c) for c in sort_by])


def _sort_key(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A text column sorts by the rank of its value among the column's distinct values (the
    same order as the text): sorting millions of rows by integers is a few times faster."""
    if frame.schema[column] != pl.String:
        return pl.col(column)
    values = frame.get_column(column).unique().drop_nulls().sort()
    return pl.col(column).replace_strict(values, pl.Series(range(values.len()), dtype=pl.UInt32), default=None)
