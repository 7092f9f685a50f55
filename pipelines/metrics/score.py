"""The sustainability score and the risk flags, from a row's other metrics."""

from __future__ import annotations

import polars as pl

from pipelines.metrics.settings import MetricSettings

RISK_FLAGS = (
    "high_concentration",
    "dominant_funder",
    "short_runway",
    "top_funder_cliff",
    "low_renewal",
    "low_engagement",
    "deficit",
)


def score_components() -> dict[str, pl.Expr]:
    """Each component bounded to 0–1; null when its metric is null."""
    return {
        "diversification": 1 - pl.col("hhi"),
        "runway": (pl.col("runway_months") / 12).clip(upper_bound=1.0),
        "renewal": pl.col("renewal_rate"),
        "engagement": pl.col("engaged_partner_share"),
        "margin": (pl.col("operating_margin") + 0.5).clip(0.0, 1.0),
    }


def sustainability_score(settings: MetricSettings) -> pl.Expr:
    """100 × the weighted mean of the components present (weights renormalised over them);
    null when no component with a weight above 0 is present."""
    weights = settings.weights()
    components = score_components()
    weighted = pl.sum_horizontal([components[name].fill_null(0.0) * w for name, w in weights.items()])
    present = pl.sum_horizontal(
        [pl.when(components[name].is_not_null()).then(pl.lit(w)).otherwise(pl.lit(0.0)) for name, w in weights.items()]
    )
    return pl.when(present > 0).then(100 * weighted / present).alias("sustainability_score")


def risk_flags(settings: MetricSettings) -> pl.Expr:
    """The flags that hold, in RISK_FLAGS order; a null metric raises no flag."""
    s = settings
    conditions = {
        "high_concentration": pl.col("concentration_band") == "high",
        "dominant_funder": pl.col("top_funder_share") > s.dominant_funder_share_above,
        "short_runway": pl.col("runway_months") < s.short_runway_months_below,
        "top_funder_cliff": pl.col("runway_without_top_funder_months") < s.top_funder_cliff_months_below,
        "low_renewal": pl.col("renewal_rate") < s.low_renewal_below,
        "low_engagement": pl.col("engaged_partner_share") < s.low_engagement_below,
        "deficit": pl.col("operating_margin") < 0,
    }
    return (
        pl.concat_list([pl.when(conditions[flag]).then(pl.lit(flag)) for flag in RISK_FLAGS])
        .list.drop_nulls()
        .alias("risk_flags")
    )
