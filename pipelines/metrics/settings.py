"""Thresholds, score weights and the fiscal-year start: the metrics' configuration.

The defaults are those of ../shared/spec/metrics.md. The names are also the `name`
column of `marts.metric_settings`, which the report's methodology page prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class MetricSettingsError(ValueError):
    """A setting that cannot be used; the message names it and says why."""


@dataclass(frozen=True)
class MetricSettings:
    # Concentration bands (2010 US Horizontal Merger Guidelines §5.3, on a 0–1 scale):
    # unconcentrated below `hhi_moderate_from`, high above `hhi_high_above`.
    hhi_moderate_from: float = 0.15
    hhi_high_above: float = 0.25
    # Risk flags: a flag is raised when the figure is strictly beyond its threshold.
    dominant_funder_share_above: float = 0.5
    short_runway_months_below: float = 6.0
    top_funder_cliff_months_below: float = 3.0
    low_renewal_below: float = 0.5
    low_engagement_below: float = 0.5
    # Weights of the sustainability score's components; renormalised over those present.
    weight_diversification: float = 0.2
    weight_runway: float = 0.2
    weight_renewal: float = 0.2
    weight_engagement: float = 0.2
    weight_margin: float = 0.2
    # 1 = calendar years only; another month adds fiscal years (period_type 'fiscal_year').
    fiscal_year_start_month: int = 1
    # Runway, runway without the top funder, multi-year coverage and operating margin are
    # withheld from the report (spending_figures_withheld) when the region's expenditure in
    # the 12 months to period_end is below this share of its support in the same 12 months
    # (or is not above 0). 0 keeps only the "no spending at all" rule. docs/metrics.md.
    min_spending_share: float = 0.10

    def __post_init__(self) -> None:
        if not 1 <= self.fiscal_year_start_month <= 12 or isinstance(self.fiscal_year_start_month, bool):
            raise MetricSettingsError(
                f"fiscal_year_start_month={self.fiscal_year_start_month!r} must be a month number 1–12"
            )
        if not 0 <= self.hhi_moderate_from <= self.hhi_high_above <= 1:
            raise MetricSettingsError(
                f"concentration bands need 0 ≤ hhi_moderate_from ({self.hhi_moderate_from}) "
                f"≤ hhi_high_above ({self.hhi_high_above}) ≤ 1"
            )
        if not 0 <= self.min_spending_share <= 1:
            raise MetricSettingsError(f"min_spending_share={self.min_spending_share!r} must be a share between 0 and 1")
        weights = self.weights()
        negative = [f"weight_{name}" for name, w in weights.items() if w < 0]
        if negative:
            raise MetricSettingsError(f"score weights must not be negative: {', '.join(negative)}")
        if sum(weights.values()) <= 0:
            raise MetricSettingsError("at least one score weight must be above 0")

    def weights(self) -> dict[str, float]:
        """Component name -> weight, in the spec's order."""
        return {
            "diversification": self.weight_diversification,
            "runway": self.weight_runway,
            "renewal": self.weight_renewal,
            "engagement": self.weight_engagement,
            "margin": self.weight_margin,
        }

    def rows(self) -> list[tuple[str, str]]:
        """(name, value) pairs for `marts.metric_settings` and asset metadata."""
        return [(name, f"{value:g}") for name, value in asdict(self).items()]
