"""A two-region package whose 2025 figures are worked out by hand.

N: agreement A1 (P1) 2024-01-01..2025-12-31, committed 600, received 300 on 2024-05-01;
   spent 1200 on 2025-03-01; one interaction of P1 on 2025-11-15.
X: agreement A2 (P2) 2025-01-01..2026-12-31, committed 800, received 200 on 2025-01-15;
   no expenditure at all (runway must be null).
"""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from pipelines.metrics.compute import compute_region_metrics
from tests.metrics.hand_made import money
from tests.metrics.hand_made import sustainability_row as row


def marts_frames() -> dict[str, pl.DataFrame]:
    return {
        "regions": pl.DataFrame({"region_code": ["N", "X"]}),
        "partners": pl.DataFrame(
            {
                "partner_id": ["P1", "P2"],
                "name": ["a", "b"],
                "partner_type": ["foundation", "ngo"],
                "since": [None, date(2020, 1, 1)],
            }
        ),
        "agreements": pl.DataFrame(
            {
                "agreement_id": ["A1", "A2"],
                "partner_id": ["P1", "P2"],
                "region_code": ["N", "X"],
                "title": ["t", "u"],
                "start_date": [date(2024, 1, 1), date(2025, 1, 1)],
                "end_date": [date(2025, 12, 31), date(2026, 12, 31)],
                "committed_eur": money("600.00", "800.00"),
                "renews": [None, None],
            }
        ),
        "transactions": pl.DataFrame(
            {
                "agreement_id": ["A1", "A2"],
                "transaction_date": [date(2024, 5, 1), date(2025, 1, 15)],
                "transaction_type": ["income", "income"],
                "amount_eur": money("300.00", "200.00"),
            }
        ),
        "expenditures": pl.DataFrame(
            {"region_code": ["N"], "expenditure_date": [date(2025, 3, 1)], "amount_eur": money("1200.00")}
        ),
        "activities": pl.DataFrame(
            {"region_code": ["N"], "start_date": [date(2025, 4, 1)], "participants": [30], "libraries_reached": [3]}
        ),
        "interactions": pl.DataFrame(
            {"partner_id": ["P1"], "region_code": ["N"], "interaction_date": [date(2025, 11, 15)]}
        ),
        "outcomes": pl.DataFrame(
            {
                "region_code": ["N"],
                "period_end": [date(2025, 6, 30)],
                "baseline": [10.0],
                "target": [20.0],
                "actual": [25.0],
            }
        ),
    }


@pytest.fixture(scope="module")
def marts():
    return compute_region_metrics(marts_frames())


def test_periods_span_the_dated_events_only(marts):
    # events 2024-05-01..2025-11-15: years 2024, 2025 and quarters 2024-Q2..2025-Q4 (7), ×3 rows
    # (N, X, ALL); A2's end in 2026 adds no 2026 period.
    periods = set(marts.sustainability["period"])
    assert periods == {"2024", "2025", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"}
    assert marts.sustainability.height == 9 * 3


def test_all_row_2025(marts):
    r = row(marts, "ALL")
    assert r["support_eur"] == Decimal("200.00")  # only A2's 200 falls in 2025
    assert r["operating_margin"] == pytest.approx((200 - 1200) / 200)  # -5.0
    # A1 is in force on 2025-12-31 (its end date): 600 - 300 = 300; A2: 800 - 200 = 600
    assert r["committed_pipeline_eur"] == Decimal("900.00")
    assert r["monthly_burn_eur"] == Decimal("100.00")  # 1200 / 12
    assert r["runway_months"] == pytest.approx(9.0)  # 900 / 100
    assert r["runway_without_top_funder_months"] == pytest.approx(3.0)  # top P2 removed: 300 / 100
    # A1 has no day left after 2025-12-31 -> 0; A2's 600 all falls by 2026-12-31: 600 / 1200
    assert r["multi_year_coverage"] == pytest.approx(0.5)
    assert r["agreements_ended"] == 1 and r["renewal_rate"] == 0.0
    assert r["engaged_partner_share"] == pytest.approx(0.5)  # P1 contacted 2025-11-15, P2 not
    assert r["cost_per_participant_eur"] == Decimal("40.00")  # 1200 / 30
    assert r["outcome_achievement"] == pytest.approx(1.5)  # min((25-10)/(20-10), 1.5)
    # components: diversification 1-1=0, runway 9/12=0.75, renewal 0, engagement 0.5, margin clip(-4.5)=0
    assert r["sustainability_score"] == pytest.approx(100 * (0 + 0.75 + 0 + 0.5 + 0) / 5)
    assert r["risk_flags"] == ["high_concentration", "dominant_funder", "low_renewal", "deficit"]


def test_region_without_expenditure_has_null_runway(marts):
    r = row(marts, "X")
    assert r["runway_months"] is None and r["multi_year_coverage"] is None
    assert r["monthly_burn_eur"] == Decimal("0.00")
    assert r["renewal_rate"] is None and r["partner_retention"] is None
    # weights renormalised over diversification 0, engagement 0, margin clip(1+0.5)=1
    assert r["sustainability_score"] == pytest.approx(100 * (0 + 0 + 1) / 3)
    assert r["risk_flags"] == ["high_concentration", "dominant_funder", "low_engagement"]


def test_region_without_support_has_null_margin_and_concentration(marts):
    r = row(marts, "N")
    assert r["support_eur"] == Decimal("0.00") and r["operating_margin"] is None
    assert r["hhi"] is None and r["top_funder_id"] is None and r["funder_count"] == 0
    assert r["runway_months"] == pytest.approx(3.0)  # 300 / 100
    assert r["risk_flags"] == ["short_runway", "low_renewal"]


def test_a_package_without_any_interaction_leaves_engagement_unknown():
    # Same package, the one interaction removed: nothing in it records contact with
    # partners (as in an IATI import), so engagement is null rather than 0 and neither
    # raises low_engagement nor counts in the score.
    frames = marts_frames()
    frames["interactions"] = frames["interactions"].clear()
    r = row(compute_region_metrics(frames), "ALL")
    assert r["engaged_partner_share"] is None
    assert "low_engagement" not in r["risk_flags"]
    # components: diversification 0, runway 0.75, renewal 0, margin 0 — engagement left out
    assert r["sustainability_score"] == pytest.approx(100 * (0 + 0.75 + 0 + 0) / 4)
