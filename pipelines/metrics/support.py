"""Resources: support, expenditure, margin and the concentration of support by funder."""

from __future__ import annotations

import polars as pl

from pipelines.metrics.facts import MONEY, sums_with_all
from pipelines.metrics.periods import in_periods
from pipelines.metrics.settings import MetricSettings

KEYS = ["region_code", "period"]
ZERO = pl.lit(0).cast(MONEY)


def support_in_periods(transactions: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Net amount per region × period × partner × transaction type, with the 'ALL' rows.

    A partner appears in a period when it has a transaction there, even if they add up to 0.
    Summed per month before the months are matched to periods.
    """
    monthly = transactions.group_by(
        "region_code", "partner_id", "transaction_type", month=pl.col("transaction_date").dt.month_start()
    ).agg(pl.col("amount_eur").sum())
    regional = (
        in_periods(monthly, periods, "month")
        .group_by(KEYS + ["partner_id", "transaction_type"])
        .agg(pl.col("amount_eur").sum())
    )
    return sums_with_all(regional, ["amount_eur"])


def support_totals(transactions_in_period: pl.DataFrame) -> pl.DataFrame:
    """income_eur and in_kind_eur per region × period (refunds, i.e. negative rows, included)."""
    amount = pl.col("amount_eur")
    return transactions_in_period.group_by(KEYS).agg(
        income_eur=amount.filter(pl.col("transaction_type") == "income").sum(),
        in_kind_eur=amount.filter(pl.col("transaction_type") == "in_kind").sum(),
    )


def partner_net_support(transactions_in_period: pl.DataFrame) -> pl.DataFrame:
    """Each partner's net support per region × period, and its share of the positive support.

    `share` is `s_i` of the HHI: support_i / Σ support_j over the partners whose net
    support is > 0; null for a partner whose net support is ≤ 0 (a refund can do that).
    """
    net = transactions_in_period.group_by(KEYS + ["partner_id"]).agg(support_eur=pl.col("amount_eur").sum())
    positive = pl.col("support_eur") > 0
    positive_total = pl.col("support_eur").filter(positive).sum().over(KEYS).cast(pl.Float64)
    return net.with_columns(share=pl.when(positive).then(pl.col("support_eur").cast(pl.Float64) / positive_total))


def concentration(partner_support: pl.DataFrame, settings: MetricSettings) -> pl.DataFrame:
    """funder_count, top funder and its share, HHI, effective funders and band per region × period.

    Regions with no partner in positive net support get no row (all of these are null/0).
    The top funder on a tie is the one with the smallest partner_id, so reruns agree.
    """
    funders = partner_support.filter(pl.col("share").is_not_null())
    # Banded on the HHI rounded to 12 decimals, so float noise in Σ s² (0.8² + 0.2² is
    # 0.6800000000000002) cannot move a region across a boundary it sits on.
    hhi, banded = pl.col("hhi"), pl.col("hhi").round(12)
    # Within each region × period, funders by net support (largest first), ties by partner_id.
    ranked = {"by": ["support_eur", "partner_id"], "descending": [True, False]}
    return (
        funders.group_by(KEYS)
        .agg(
            funder_count=pl.len().cast(pl.Int32),
            top_funder_id=pl.col("partner_id").sort_by(**ranked).first(),
            top_funder_share=pl.col("share").sort_by(**ranked).first(),
            # Σ s² in that fixed order, so reruns give the same last digit.
            hhi=(pl.col("share") ** 2).sort_by(**ranked).sum(),
        )
        .with_columns(
            effective_funders=1 / hhi,
            concentration_band=pl.when(banded > settings.hhi_high_above)
            .then(pl.lit("high"))
            .when(banded >= settings.hhi_moderate_from)
            .then(pl.lit("moderate"))
            .otherwise(pl.lit("unconcentrated")),
        )
    )


def support_mix(transactions_in_period: pl.DataFrame, partners: pl.DataFrame) -> pl.DataFrame:
    """Support per region × period × partner_type and its share of the region's support_eur.

    A type appears when one of its partners has a transaction in the period. Shares are of
    the region's net support, so they add up to 1; null when that support is ≤ 0.
    """
    by_type = (
        transactions_in_period.join(partners.select("partner_id", "partner_type"), on="partner_id", how="left")
        .group_by(KEYS + ["partner_type"])
        .agg(support_eur=pl.col("amount_eur").sum())
    )
    total = pl.col("support_eur").sum().over(KEYS)
    return by_type.with_columns(
        share=pl.when(total > 0).then(pl.col("support_eur").cast(pl.Float64) / total.cast(pl.Float64))
    )
