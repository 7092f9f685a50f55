"""Commitments and runway, as of each period's end."""

from __future__ import annotations

import polars as pl

from pipelines.metrics.facts import MONEY
from pipelines.metrics.periods import months_after, months_before

KEYS = ["region_code", "period"]
ZERO = pl.lit(0).cast(MONEY)


def agreements_in_force(agreements: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Agreement × period where start_date ≤ period_end ≤ end_date (both ends included).

    Rows in the agreements' order, then the periods'; only the agreement columns used later.
    """
    return (
        agreements.select(
            "agreement_id", "partner_id", "region_code", "title", "start_date", "end_date", "committed_eur"
        )
        .with_row_index("_agreement")
        .join_where(
            periods.select("period", "period_end").with_row_index("_period"),
            pl.col("start_date") <= pl.col("period_end"),
            pl.col("period_end") <= pl.col("end_date"),
        )
        .sort("_agreement", "_period")
        .drop("_agreement", "_period", "start_date")
    )


def with_remaining(in_force: pl.DataFrame, transactions: pl.DataFrame) -> pl.DataFrame:
    """Add received_eur (income + in_kind dated ≤ period_end) and remaining_eur = max(committed − received, 0).

    received_eur is the agreement's running total on the last day with money ≤ period_end
    (an as-of join on the running totals, not a join of every day against every period).
    """
    running = (
        transactions.group_by("agreement_id", "transaction_date")
        .agg(pl.col("amount_eur").sum())
        .sort("agreement_id", "transaction_date")
        .select("agreement_id", "transaction_date", received_eur=pl.col("amount_eur").cum_sum().over("agreement_id"))
        .sort("transaction_date")
    )
    received = (
        in_force.select("agreement_id", "period", "period_end")
        .unique()
        .sort("period_end")
        .join_asof(
            running,
            left_on="period_end",
            right_on="transaction_date",
            by="agreement_id",
            strategy="backward",
            check_sortedness=False,
        )
        .select("agreement_id", "period", "received_eur")
    )
    left = pl.col("committed_eur") - pl.col("received_eur")
    return (
        in_force.join(received, on=["agreement_id", "period"], how="left", maintain_order="left")
        .with_columns(pl.col("received_eur").fill_null(ZERO))
        .with_columns(remaining_eur=pl.when(left > 0).then(left).otherwise(ZERO))
    )


def trailing_expenditure(expenditures: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Expenditure per region in the 12 months ending at period_end: (period_end − 12 months, period_end]."""
    return _trailing_sum(expenditures, "expenditure_date", periods, "expenditure_12m_eur")


def trailing_support(transactions: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Net support (income + in kind) per region in the same 12 months as the burn."""
    return _trailing_sum(transactions, "transaction_date", periods, "support_12m_eur")


def _trailing_sum(facts: pl.DataFrame, date_column: str, periods: pl.DataFrame, name: str) -> pl.DataFrame:
    daily = facts.group_by("region_code", date_column).agg(pl.col("amount_eur").sum())
    windows = periods.select("period", "period_end", window_start=months_before(pl.col("period_end"), 12))
    return (
        daily.join_where(
            windows, pl.col(date_column) > pl.col("window_start"), pl.col(date_column) <= pl.col("period_end")
        )
        .group_by(KEYS)
        .agg(pl.col("amount_eur").sum().alias(name))
    )


def pipeline_figures(in_force_remaining: pl.DataFrame, top_funders: pl.DataFrame) -> pl.DataFrame:
    """Per region × period: the committed pipeline, the part of it held by the top funder,
    and the part falling in the 12 months after period_end.

    Each agreement's remaining amount is spread evenly over its remaining days
    (period_end, end_date]; the share of those days up to period_end + 12 months counts.
    An agreement ending on period_end has no day left, so nothing of it falls later.
    """
    period_end, end_date = pl.col("period_end"), pl.col("end_date")
    days_left = (end_date - period_end).dt.total_days()
    days_in_next_year = (pl.min_horizontal(end_date, months_after(period_end, 12)) - period_end).dt.total_days()
    return (
        in_force_remaining.join(top_funders.select(KEYS + ["top_funder_id"]), on=KEYS, how="left")
        .with_columns(
            next_12m=pl.when(days_left > 0)
            .then(pl.col("remaining_eur").cast(pl.Float64) * days_in_next_year / days_left)
            .otherwise(0.0)
        )
        .group_by(KEYS)
        .agg(
            committed_pipeline_eur=pl.col("remaining_eur").sum(),
            top_funder_pipeline_eur=pl.col("remaining_eur")
            .filter(pl.col("partner_id") == pl.col("top_funder_id"))
            .sum(),
            pipeline_next_12m_eur=pl.col("next_12m").sum(),
        )
    )


def runway_columns() -> list[pl.Expr]:
    """Burn, runway and coverage from the columns of `pipeline_figures` and `trailing_expenditure`.

    Ratios use the exact 12-month expenditure (monthly burn × 12), not the burn rounded to cents.
    """
    spent = pl.col("expenditure_12m_eur").cast(pl.Float64)
    burning = pl.col("expenditure_12m_eur") > 0
    pipeline = pl.col("committed_pipeline_eur").cast(pl.Float64)
    without_top = (pl.col("committed_pipeline_eur") - pl.col("top_funder_pipeline_eur")).cast(pl.Float64)
    return [
        (pl.col("expenditure_12m_eur") / 12).alias("monthly_burn_eur"),
        pl.when(burning).then(12 * pipeline / spent).alias("runway_months"),
        pl.when(burning).then(12 * without_top / spent).alias("runway_without_top_funder_months"),
        pl.when(burning).then(pl.col("pipeline_next_12m_eur") / spent).alias("multi_year_coverage"),
    ]


NO_SPENDING_RECORDED = "no_spending_recorded"
SPENDING_BELOW_MIN_SHARE = "spending_below_min_share"


def spending_figures_withheld(min_spending_share: float) -> pl.Expr:
    """Why the report withholds runway, runway without the top funder, multi-year coverage and
    operating margin; null when it shows them. The marts keep the numbers (docs/metrics.md).

    Over the burn window (period_end − 12 months, period_end]:
    - `no_spending_recorded` when expenditure ≤ 0;
    - `spending_below_min_share` when expenditure < min_spending_share × net support.
    The product is rounded to 6 decimals before comparing, so float noise
    (0.1 × 2000.70 = 200.07000000000002) cannot withhold a region spending exactly the share.
    """
    spent = pl.col("expenditure_12m_eur")
    threshold = (min_spending_share * pl.col("support_12m_eur").cast(pl.Float64)).round(6)
    return (
        pl.when(spent <= 0)
        .then(pl.lit(NO_SPENDING_RECORDED))
        .when(spent.cast(pl.Float64) < threshold)
        .then(pl.lit(SPENDING_BELOW_MIN_SHARE))
        .otherwise(pl.lit(None, pl.String))
        .alias("spending_figures_withheld")
    )


def expiring_within_a_year(in_force_remaining: pl.DataFrame) -> pl.DataFrame:
    """In-force agreements whose end_date falls in (period_end, period_end + 12 months]."""
    return in_force_remaining.filter(
        (pl.col("end_date") > pl.col("period_end")) & (pl.col("end_date") <= months_after(pl.col("period_end"), 12))
    )
