"""Thresholds, weights and the fiscal-year start are settings; the package of
test_hand_worked_2025 shows what each one changes, worked out by hand."""

from datetime import date

import polars as pl
import pytest

from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.settings import MetricSettings, MetricSettingsError
from tests.metrics.hand_made import sustainability_row
from tests.metrics.test_hand_worked_2025 import frames


def row(settings: MetricSettings, region: str, period: str = "2025") -> dict:
    return sustainability_row(compute_region_metrics(frames(), settings), region, period)


def test_concentration_band_boundaries_are_inclusive_for_moderate():
    # S has hhi 0.68: "moderate" when 0.68 sits on either boundary (moderate_from ≤ hhi ≤ high_above)
    assert row(MetricSettings(hhi_moderate_from=0.68, hhi_high_above=0.9), "S")["concentration_band"] == "moderate"
    assert row(MetricSettings(hhi_moderate_from=0.5, hhi_high_above=0.68), "S")["concentration_band"] == "moderate"
    assert (
        row(MetricSettings(hhi_moderate_from=0.69, hhi_high_above=0.9), "S")["concentration_band"] == "unconcentrated"
    )
    assert row(MetricSettings(hhi_moderate_from=0.5, hhi_high_above=0.67), "S")["concentration_band"] == "high"


def test_flag_thresholds_are_strict_and_configurable():
    # N: runway 15, without P1 4.0, engagement 0.5, top share 0.9375
    assert "top_funder_cliff" not in row(MetricSettings(top_funder_cliff_months_below=4.0), "N")["risk_flags"]
    assert "top_funder_cliff" in row(MetricSettings(top_funder_cliff_months_below=4.01), "N")["risk_flags"]
    assert "low_engagement" in row(MetricSettings(low_engagement_below=0.51), "N")["risk_flags"]
    assert "short_runway" in row(MetricSettings(short_runway_months_below=16), "N")["risk_flags"]
    assert "dominant_funder" not in row(MetricSettings(dominant_funder_share_above=0.95), "N")["risk_flags"]


def test_weights_change_the_score():
    # N's components: diversification 0.1171875, runway 1, renewal 2/3, engagement 0.5, margin 0.7.
    # Runway alone: 100 × 1.
    runway_only = MetricSettings(
        weight_diversification=0, weight_runway=1, weight_renewal=0, weight_engagement=0, weight_margin=0
    )
    assert row(runway_only, "N")["sustainability_score"] == pytest.approx(100.0)
    # diversification 3 : margin 1 -> (3 × 0.1171875 + 0.7) / 4
    tilted = MetricSettings(
        weight_diversification=3, weight_runway=0, weight_renewal=0, weight_engagement=0, weight_margin=1
    )
    assert row(tilted, "N")["sustainability_score"] == pytest.approx(100 * (3 * 0.1171875 + 0.7) / 4)
    # S has no runway: with runway as the only weight, no component is present -> null
    assert row(runway_only, "S")["sustainability_score"] is None


def test_a_july_fiscal_year_adds_fiscal_years_beside_the_calendar_ones():
    marts = compute_region_metrics(frames(), MetricSettings(fiscal_year_start_month=7))
    fiscal = marts.sustainability.filter((pl.col("period_type") == "fiscal_year") & (pl.col("region_code") == "N"))
    # events run 2025-02-01..2025-12-15: FY2025 (2024-07-01..2025-06-30) and FY2026 (2025-07-01..2026-06-30)
    assert fiscal.select("period", "period_start", "period_end").rows() == [
        ("FY2025", date(2024, 7, 1), date(2025, 6, 30)),
        ("FY2026", date(2025, 7, 1), date(2026, 6, 30)),
    ]
    assert {"2025", "2025-Q1", "2025-Q4"} <= set(marts.sustainability["period"])  # calendar rows stay
    fy2025 = fiscal.row(0, named=True)
    # N in FY2025: T1 600 (02-01), T3 200 (03-01), T5 100 in kind (04-01); spent 600 (03-15)
    assert float(fy2025["support_eur"]) == 900.0 and float(fy2025["expenditure_eur"]) == 600.0
    # ended by 2025-06-30: A1 (renewed by A2) and A3 (renewed by A4 at day 180)
    assert fy2025["agreements_ended"] == 2 and fy2025["renewal_rate"] == 1.0


def test_settings_that_cannot_work_are_refused_by_name():
    with pytest.raises(MetricSettingsError, match="fiscal_year_start_month=13"):
        MetricSettings(fiscal_year_start_month=13)
    with pytest.raises(MetricSettingsError, match="weight_runway"):
        MetricSettings(weight_runway=-1)
    with pytest.raises(MetricSettingsError, match="at least one score weight"):
        MetricSettings(
            weight_diversification=0, weight_runway=0, weight_renewal=0, weight_engagement=0, weight_margin=0
        )
