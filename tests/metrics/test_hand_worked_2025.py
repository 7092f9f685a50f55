"""Two regions in 2025, every column of marts.region_sustainability worked out by hand.

The package (all money already in EUR; every dated event falls in 2025, so the periods are
2025 and 2025-Q1..Q4):

Partners: P1 foundation, P2 government, P3 corporate, P4 ngo (`since` 2010-01-01),
          P5 academic (only an interaction).

Agreements                                     committed   ends in 2025?   renewed?
  A1 P1 N 2024-01-01..2025-03-31                  1000     yes             yes: A2 names it in `renews`
  A2 P1 N 2025-12-01..2026-12-31  renews A1       2000                     (A2 starts 245 days after A1's
                                                                            end: only `renews` links them)
  A3 P2 N 2023-01-01..2025-06-30                   500     yes             yes: A4 starts end + 180 days
  A4 P2 N 2025-12-27..2026-12-26                   400
  A5 P3 N 2024-06-01..2025-09-30                   300     yes             no: A6 starts end + 181 days
  A6 P3 N 2026-03-30..2026-12-31                   100
  A7 P4 S 2025-01-01..2026-06-30                   600
  A8 P1 S 2025-01-01..2025-12-31                   300     yes (on period_end)   no

Transactions: T1 A1 income 2025-02-01 600 · T2 A2 income 2025-12-15 900 ·
  T3 A3 income 2025-03-01 200 · T4 A3 income 2025-08-01 −300 (a refund: P2's net support in N
  becomes −100) · T5 A5 in_kind 2025-04-01 100 · T6 A7 income 2025-06-01 400 ·
  T7 A8 income 2025-07-01 100.
Expenditures: N 2025-03-15 600, N 2025-09-15 600; none in S.
Interactions: P1 N 2025-10-03 (period_end − 89 days: inside the 90-day window) ·
  P2 N 2025-10-02 (− 90 days: outside) · P4 S 2025-11-20 · P5 S 2025-05-05.
Activities: N 2025-02-10 30 participants 2 libraries · N 2025-11-01 10 participants 3 libraries.
Outcomes: N 2025-06-30 baseline 0 target 10 actual 5 · N 2025-12-31 baseline 10 target 10
  (no planned change: left out) · S 2025-09-30 baseline 100 target 50 actual 0 (a planned
  decrease, over-achieved: (0 − 100) / (50 − 100) = 2.0, capped at 1.5).
"""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from pipelines.metrics.compute import compute_region_metrics
from tests.metrics.hand_made import assert_row, money
from tests.metrics.hand_made import sustainability_row as sustainability

D = date.fromisoformat


def frames() -> dict[str, pl.DataFrame]:
    return {
        "regions": pl.DataFrame({"region_code": ["N", "S"]}),
        "partners": pl.DataFrame(
            {
                "partner_id": ["P1", "P2", "P3", "P4", "P5"],
                "name": ["Fondation Alpha", "Ministry of Reading", "Beta Corp", "Gamma NGO", "Delta University"],
                "partner_type": ["foundation", "government", "corporate", "ngo", "academic"],
                "since": [None, None, None, D("2010-01-01"), None],
            }
        ),
        "agreements": pl.DataFrame(
            {
                "agreement_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"],
                "partner_id": ["P1", "P1", "P2", "P2", "P3", "P3", "P4", "P1"],
                "region_code": ["N", "N", "N", "N", "N", "N", "S", "S"],
                "title": ["t"] * 8,
                "start_date": [
                    D(d)
                    for d in (
                        "2024-01-01",
                        "2025-12-01",
                        "2023-01-01",
                        "2025-12-27",
                        "2024-06-01",
                        "2026-03-30",
                        "2025-01-01",
                        "2025-01-01",
                    )
                ],
                "end_date": [
                    D(d)
                    for d in (
                        "2025-03-31",
                        "2026-12-31",
                        "2025-06-30",
                        "2026-12-26",
                        "2025-09-30",
                        "2026-12-31",
                        "2026-06-30",
                        "2025-12-31",
                    )
                ],
                "committed_eur": money("1000", "2000", "500", "400", "300", "100", "600", "300"),
                "renews": [None, "A1", None, None, None, None, None, None],
            }
        ),
        "transactions": pl.DataFrame(
            {
                "agreement_id": ["A1", "A2", "A3", "A3", "A5", "A7", "A8"],
                "transaction_date": [
                    D(d)
                    for d in (
                        "2025-02-01",
                        "2025-12-15",
                        "2025-03-01",
                        "2025-08-01",
                        "2025-04-01",
                        "2025-06-01",
                        "2025-07-01",
                    )
                ],
                "transaction_type": ["income", "income", "income", "income", "in_kind", "income", "income"],
                "amount_eur": money("600", "900", "200", "-300", "100", "400", "100"),
            }
        ),
        "expenditures": pl.DataFrame(
            {
                "region_code": ["N", "N"],
                "expenditure_date": [D("2025-03-15"), D("2025-09-15")],
                "amount_eur": money("600", "600"),
            }
        ),
        "activities": pl.DataFrame(
            {
                "region_code": ["N", "N"],
                "start_date": [D("2025-02-10"), D("2025-11-01")],
                "participants": [30, 10],
                "libraries_reached": [2, 3],
            }
        ),
        "interactions": pl.DataFrame(
            {
                "partner_id": ["P1", "P2", "P4", "P5"],
                "region_code": ["N", "N", "S", "S"],
                "interaction_date": [D("2025-10-03"), D("2025-10-02"), D("2025-11-20"), D("2025-05-05")],
            }
        ),
        "outcomes": pl.DataFrame(
            {
                "region_code": ["N", "N", "S"],
                "period_end": [D("2025-06-30"), D("2025-12-31"), D("2025-09-30")],
                "baseline": [0.0, 10.0, 100.0],
                "target": [10.0, 10.0, 50.0],
                "actual": [5.0, 12.0, 0.0],
            }
        ),
    }


@pytest.fixture(scope="module")
def marts():
    return compute_region_metrics(frames())


def test_periods_are_the_year_and_its_quarters(marts):
    assert sorted(set(marts.sustainability["period"])) == ["2025", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]


def test_region_n_2025(marts):
    assert_row(
        sustainability(marts, "N"),
        {
            "region_code": "N",
            "period": "2025",
            "period_type": "year",
            "period_start": D("2025-01-01"),
            "period_end": D("2025-12-31"),
            # income T1 600 + T2 900 + T3 200 + T4 −300 = 1400; in kind T5 100
            "income_eur": Decimal("1400.00"),
            "in_kind_eur": Decimal("100.00"),
            "support_eur": Decimal("1500.00"),
            "expenditure_eur": Decimal("1200.00"),
            "operating_margin": 0.2,  # (1500 − 1200) / 1500
            # net by partner: P1 600 + 900 = 1500, P2 200 − 300 = −100 (not a funder), P3 100
            "funder_count": 2,
            "top_funder_id": "P1",
            "top_funder_share": 0.9375,  # 1500 / (1500 + 100)
            "hhi": 0.8828125,  # 0.9375² + 0.0625²
            "effective_funders": 1 / 0.8828125,  # 1.1327
            "concentration_band": "high",
            # in force on 2025-12-31: A2 2000 − 900 = 1100, A4 400 − 0 = 400
            "committed_pipeline_eur": Decimal("1500.00"),
            "monthly_burn_eur": Decimal("100.00"),  # 1200 spent in (2024-12-31, 2025-12-31] / 12
            "runway_months": 15.0,  # 1500 / 100
            "runway_without_top_funder_months": 4.0,  # without P1's A2: 400 / 100
            # A2: 365 of its 365 remaining days fall by 2026-12-31 -> 1100; A4: 360 of 360 -> 400
            "multi_year_coverage": 1.25,  # 1500 / (12 × 100)
            "agreements_ended": 3,  # A1, A3, A5
            "renewal_rate": 2 / 3,  # A1 (renews), A3 (day 180); not A5 (day 181)
            # agreements overlapping 2025: A1, A2 (P1), A3, A4 (P2), A5 (P3)
            "active_partners": 3,
            "new_partners": 0,  # first contacts 2024-01-01, 2023-01-01, 2024-06-01
            "partner_retention": 1.0,  # 2024: P1 (A1), P2 (A3), P3 (A5); all active again
            "engaged_partner_share": 0.5,  # in force: P1 (A2), P2 (A4); only P1 within 90 days
            "activities": 2,
            "participants": 40,
            "libraries_reached": 5,
            "cost_per_participant_eur": Decimal("30.00"),  # 1200 / 40
            "outcome_achievement": 0.5,  # (5 − 0) / (10 − 0); the target = baseline row is left out
            # components: diversification 1 − 0.8828125 = 0.1171875, runway min(15/12, 1) = 1,
            # renewal 2/3, engagement 0.5, margin clip(0.2 + 0.5) = 0.7
            "sustainability_score": 100 * (0.1171875 + 1 + 2 / 3 + 0.5 + 0.7) / 5,  # 59.68
            # engagement 0.5 is not below 0.5 and runway without P1 (4) is not below 3: strict thresholds
            "risk_flags": ["high_concentration", "dominant_funder"],
            "spending_figures_withheld": None,  # spent 1200 ≥ 0.1 × support 1500 in the 12 months
        },
    )


def test_region_s_2025(marts):
    assert_row(
        sustainability(marts, "S"),
        {
            "region_code": "S",
            "period": "2025",
            "period_type": "year",
            "period_start": D("2025-01-01"),
            "period_end": D("2025-12-31"),
            "income_eur": Decimal("500.00"),
            "in_kind_eur": Decimal("0.00"),
            "support_eur": Decimal("500.00"),
            "expenditure_eur": Decimal("0.00"),
            "operating_margin": 1.0,  # (500 − 0) / 500
            "funder_count": 2,
            "top_funder_id": "P4",
            "top_funder_share": 0.8,  # P4 400, P1 100
            "hhi": 0.68,  # 0.8² + 0.2²
            "effective_funders": 1 / 0.68,
            "concentration_band": "high",
            # A7 600 − 400 = 200; A8 ends on period_end, so it is in force: 300 − 100 = 200
            "committed_pipeline_eur": Decimal("400.00"),
            "monthly_burn_eur": Decimal("0.00"),
            "runway_months": None,
            "runway_without_top_funder_months": None,
            "multi_year_coverage": None,
            "agreements_ended": 1,  # A8; P1's A2 is in another region: no renewal
            "renewal_rate": 0.0,
            "active_partners": 3,  # P4 (A7), P1 (A8), P5 (interaction only)
            "new_partners": 1,  # P5, first contact 2025-05-05; P4's `since` is 2010
            "partner_retention": None,  # nobody was active in S in 2024
            "engaged_partner_share": 0.5,  # in force: P4 (contact 2025-11-20), P1 (none in S)
            "activities": 0,
            "participants": 0,
            "libraries_reached": 0,
            "cost_per_participant_eur": None,
            "outcome_achievement": 1.5,  # min((0 − 100) / (50 − 100), 1.5) = min(2.0, 1.5)
            # components: diversification 0.32, runway absent, renewal 0, engagement 0.5,
            # margin clip(1.0 + 0.5) = 1; weights renormalised over the four present
            "sustainability_score": 100 * (0.32 + 0 + 0.5 + 1) / 4,  # 45.5
            "risk_flags": ["high_concentration", "dominant_funder", "low_renewal"],
            "spending_figures_withheld": "no_spending_recorded",  # nothing spent in S: margin 100 % means nothing
        },
    )


def test_all_2025_is_computed_from_the_rows_not_from_the_regions(marts):
    assert_row(
        sustainability(marts, "ALL"),
        {
            "region_code": "ALL",
            "period": "2025",
            "period_type": "year",
            "period_start": D("2025-01-01"),
            "period_end": D("2025-12-31"),
            "income_eur": Decimal("1900.00"),
            "in_kind_eur": Decimal("100.00"),
            "support_eur": Decimal("2000.00"),
            "expenditure_eur": Decimal("1200.00"),
            "operating_margin": 0.4,  # (2000 − 1200) / 2000
            # net across regions: P1 1500 + 100 = 1600, P2 −100, P3 100, P4 400 -> funders P1, P3, P4
            "funder_count": 3,
            "top_funder_id": "P1",
            "top_funder_share": 1600 / 2100,  # 0.7619
            # (1600² + 100² + 400²) / 2100² = 2,730,000 / 4,410,000 = 0.6190 — not N's 0.8828 nor S's 0.68
            "hhi": 273 / 441,
            "effective_funders": 441 / 273,
            "concentration_band": "high",
            "committed_pipeline_eur": Decimal("1900.00"),  # N 1500 + S 400
            "monthly_burn_eur": Decimal("100.00"),
            "runway_months": 19.0,  # 1900 / 100
            "runway_without_top_funder_months": 6.0,  # without P1's A2 1100 and A8 200: 600 / 100
            # A2 1100 + A4 400 + A7 200 (ends 2026-06-30, all 181 days within the year) + A8 0 (no day left)
            "multi_year_coverage": 1700 / 1200,
            "agreements_ended": 4,  # A1, A3, A5, A8
            "renewal_rate": 0.5,  # A1, A3 — renewals stay within their region
            "active_partners": 5,
            "new_partners": 1,  # P5
            "partner_retention": 1.0,  # 2024: P1, P2, P3; all active in 2025
            # in force: P1 (A2, A8), P2 (A4), P4 (A7); P1 (10-03) and P4 (11-20) within 90 days, P2 not
            "engaged_partner_share": 2 / 3,
            "activities": 2,
            "participants": 40,
            "libraries_reached": 5,
            "cost_per_participant_eur": Decimal("30.00"),
            "outcome_achievement": 1.0,  # mean(0.5, 1.5)
            # diversification 1 − 273/441, runway min(19/12, 1) = 1, renewal 0.5, engagement 2/3, margin 0.9
            "sustainability_score": 100 * ((1 - 273 / 441) + 1 + 0.5 + 2 / 3 + 0.9) / 5,  # 68.95
            "risk_flags": ["high_concentration", "dominant_funder"],
            "spending_figures_withheld": None,  # spent 1200 ≥ 0.1 × support 2000
        },
    )


def test_region_n_fourth_quarter(marts):
    r = sustainability(marts, "N", "2025-Q4")
    assert (r["period_type"], r["period_start"], r["period_end"]) == ("quarter", D("2025-10-01"), D("2025-12-31"))
    assert r["support_eur"] == Decimal("900.00") and r["expenditure_eur"] == Decimal("0.00")  # T2; E2 was in Q3
    assert r["operating_margin"] == 1.0 and r["hhi"] == 1.0 and r["funder_count"] == 1
    # runway looks back twelve months from the same period_end as the year: the same figures
    assert r["monthly_burn_eur"] == Decimal("100.00") and r["runway_months"] == pytest.approx(15.0)
    assert r["agreements_ended"] == 0 and r["renewal_rate"] is None
    # active in Q4: P1 (A2 from 12-01, contact 10-03), P2 (A4 from 12-27, contact 10-02);
    # active in Q3: only P3 (A5 until 09-30) -> retention 0 / 1
    assert r["active_partners"] == 2 and r["partner_retention"] == 0.0
    assert r["activities"] == 1 and r["participants"] == 10
    assert r["outcome_achievement"] is None  # the only Q4 outcome has target = baseline
    # components: diversification 0, runway 1, engagement 0.5, margin clip(1.5) = 1; renewal absent
    assert r["sustainability_score"] == pytest.approx(100 * (0 + 1 + 0.5 + 1) / 4)
    assert r["risk_flags"] == ["high_concentration", "dominant_funder"]


def test_a_refund_leaves_a_negative_partner_in_the_partner_mart_and_the_mix(marts):
    partners = marts.partner_support.filter((pl.col("region_code") == "N") & (pl.col("period") == "2025"))
    rows = {r["partner_id"]: r for r in partners.iter_rows(named=True)}
    assert set(rows) == {"P1", "P2", "P3"}
    assert rows["P2"]["support_eur"] == Decimal("-100.00") and rows["P2"]["share"] is None
    assert rows["P1"]["share"] == pytest.approx(0.9375) and rows["P3"]["share"] == pytest.approx(0.0625)
    assert [rows[p]["agreements_in_force"] for p in ("P1", "P2", "P3")] == [1, 1, 0]  # A2, A4, none
    assert rows["P1"]["last_interaction_date"] == D("2025-10-03") and rows["P3"]["last_interaction_date"] is None

    mix = marts.support_mix.filter((pl.col("region_code") == "N") & (pl.col("period") == "2025"))
    shares = dict(zip(mix["partner_type"], mix["share"], strict=True))
    # of N's net support 1500: foundation 1500, government −100, corporate 100
    assert shares == pytest.approx({"foundation": 1.0, "government": -100 / 1500, "corporate": 100 / 1500})
    assert sum(shares.values()) == pytest.approx(1.0)

    everyone = marts.support_mix.filter((pl.col("region_code") == "ALL") & (pl.col("period") == "2025"))
    assert dict(zip(everyone["partner_type"], everyone["support_eur"], strict=True)) == {
        "foundation": Decimal("1600.00"),
        "government": Decimal("-100.00"),
        "corporate": Decimal("100.00"),
        "ngo": Decimal("400.00"),
    }


def test_commitments_running_out_within_twelve_months(marts):
    expiring = marts.expiring_commitments.filter(pl.col("period") == "2025")
    got = {(r["region_code"], r["agreement_id"]): r["remaining_eur"] for r in expiring.iter_rows(named=True)}
    # ending in (2025-12-31, 2026-12-31]; A8 ends on period_end itself, so it is not "running out"
    assert got == {
        ("N", "A2"): Decimal("1100.00"),
        ("N", "A4"): Decimal("400.00"),
        ("S", "A7"): Decimal("200.00"),
        ("ALL", "A2"): Decimal("1100.00"),
        ("ALL", "A4"): Decimal("400.00"),
        ("ALL", "A7"): Decimal("200.00"),
    }
