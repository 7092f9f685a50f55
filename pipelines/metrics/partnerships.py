"""Partnerships: renewal, active and new partners, retention, engagement."""

from __future__ import annotations

import polars as pl

from pipelines.metrics.facts import partners_with_all, with_all
from pipelines.metrics.periods import in_periods

KEYS = ["region_code", "period"]
PARTNER_KEYS = KEYS + ["partner_id"]
ENGAGEMENT_WINDOW_DAYS = 90  # "the 90 days ending at period_end": period_end − 89 days .. period_end


def agreement_ends(agreements: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """agreements_ended (end_date in P) and renewal_rate (share of those with `renewed`)."""
    return (
        in_periods(agreements, periods, "end_date")
        .group_by(KEYS)
        .agg(agreements_ended=pl.len().cast(pl.Int32), renewed=pl.col("renewed").sum())
        .with_columns(renewal_rate=pl.col("renewed") / pl.col("agreements_ended"))
        .drop("renewed")
    )


def partners_with_agreements(agreements: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """(region, period, partner) for agreements overlapping [period_start, period_end], with the
    'ALL' rows. `agreements` are the regions' own (no 'ALL' copies)."""
    return partners_with_all(
        agreements.select("region_code", "partner_id", "start_date", "end_date")
        .unique()
        .join_where(
            periods.select("period", "period_start", "period_end"),
            pl.col("start_date") <= pl.col("period_end"),
            pl.col("end_date") >= pl.col("period_start"),
        )
    )


def partners_in_contact(interactions: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """(region, period, partner) for interactions dated in P, with the 'ALL' rows."""
    monthly = interactions.select(
        "region_code", "partner_id", month=pl.col("interaction_date").dt.month_start()
    ).unique()
    return partners_with_all(in_periods(monthly, periods, "month"))


def active_now_and_before(
    agreements: pl.DataFrame, interactions: pl.DataFrame, periods: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(with_agreements, active, previously_active): (region, period, partner) rows of the
    partners with an agreement overlapping each period, of those active in it (an agreement
    or an interaction), and of those active in the period before it (labelled with the period).

    The period before is itself a period except for the first year, quarter or fiscal year,
    so each date range is worked out once.
    """
    ranges = pl.concat(
        [
            periods.select("period", "period_start", "period_end"),
            periods.select(
                period=pl.lit("before ") + pl.col("period"), period_start="previous_start", period_end="previous_end"
            ),
        ]
    ).unique(subset=["period_start", "period_end"], keep="first", maintain_order=True)
    with_agreements = partners_with_agreements(agreements, ranges)
    active = pl.concat([with_agreements, partners_in_contact(interactions, ranges)]).unique()
    before = periods.select("period", "previous_start", "previous_end").join(
        ranges.select(range="period", previous_start="period_start", previous_end="period_end"),
        on=["previous_start", "previous_end"],
    )
    in_periods = periods.select("period")
    return (
        with_agreements.join(in_periods, on="period", how="semi"),
        active.join(in_periods, on="period", how="semi"),
        active.join(before.select("range", "period"), left_on="period", right_on="range").select(
            "region_code", pl.col("period_right").alias("period"), "partner_id"
        ),
    )


def first_contacts(agreements: pl.DataFrame, interactions: pl.DataFrame, partners: pl.DataFrame) -> pl.DataFrame:
    """Each partner's first agreement start or interaction in any region, or its `since`
    date when the relationship is recorded as older than both."""
    return (
        pl.concat(
            [
                agreements.select("partner_id", first_contact="start_date"),
                interactions.select("partner_id", first_contact="interaction_date"),
                partners.select("partner_id", first_contact="since").drop_nulls(),
            ]
        )
        .group_by("partner_id")
        .agg(pl.col("first_contact").min())
    )


def last_interactions(interactions: pl.DataFrame, wanted: pl.DataFrame) -> pl.DataFrame:
    """The latest interaction of each partner in each region on or before period_end, for the
    (region, period, partner, period_end) rows of `wanted` ('ALL': in any region); null when none.

    An as-of join: only the rows the marts need, not every partner against every period.
    """
    contacts = (
        with_all(interactions.select("region_code", "partner_id", "interaction_date")).unique().sort("interaction_date")
    )
    return (
        wanted.select(PARTNER_KEYS + ["period_end"])
        .unique()
        .sort("period_end")
        .join_asof(
            contacts,
            left_on="period_end",
            right_on="interaction_date",
            by=["region_code", "partner_id"],
            strategy="backward",
            coalesce=False,
            check_sortedness=False,
        )
        .select(PARTNER_KEYS + [pl.col("interaction_date").alias("last_interaction_date")])
    )


def partnership_figures(
    active: pl.DataFrame,
    previously_active: pl.DataFrame,
    first_contact: pl.DataFrame,
    periods: pl.DataFrame,
    in_force: pl.DataFrame,
    last_contact: pl.DataFrame,
) -> pl.DataFrame:
    """active_partners, new_partners, partner_retention, engaged_partner_share per region × period."""
    bounds = periods.select("period", "period_start", "period_end")
    counts = (
        active.join(first_contact, on="partner_id", how="left")
        .join(bounds, on="period")
        .group_by(KEYS)
        .agg(
            active_partners=pl.len().cast(pl.Int32),
            new_partners=pl.col("first_contact")
            .is_between(pl.col("period_start"), pl.col("period_end"))
            .sum()
            .cast(pl.Int32),
        )
    )
    retention = (
        previously_active.join(active.with_columns(again=pl.lit(True)), on=PARTNER_KEYS, how="left")
        .group_by(KEYS)
        .agg(partner_retention=pl.col("again").fill_null(False).mean())
    )
    engagement = (
        in_force.select(PARTNER_KEYS + ["period_end"])
        .unique()
        .join(last_contact, on=PARTNER_KEYS, how="left")
        .group_by(KEYS)
        .agg(
            engaged_partner_share=(
                pl.col("last_interaction_date") >= pl.col("period_end") - pl.duration(days=ENGAGEMENT_WINDOW_DAYS - 1)
            )
            .fill_null(False)
            .mean()
        )
    )
    return counts.join(retention, on=KEYS, how="full", coalesce=True).join(
        engagement, on=KEYS, how="full", coalesce=True
    )
