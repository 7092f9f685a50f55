"""Two regions over 2024 and 2025, every column worked out by hand for the rows that matter.

What test_hand_worked_2025 does not show: partners retained and new from one year to the
next, a year where every default flag threshold is met exactly (and so none is raised),
an HHI of exactly 0.25, ties for the top funder, a `renews` across regions, an
over-received agreement, a committed pipeline running past the next 12 months (pro rata),
the 12-month burn window's first day, and commitments ending exactly 12 months after
period_end. All money is already in EUR; dated events run 2024-01-15..2025-12-31, so the
periods are 2024, 2025 and 2024-Q1..2025-Q4.

Partners: Q1 foundation, Q2 government (`since` 2019-05-01), Q3 corporate, Q4 ngo,
          Q5 multilateral, Q6 library (only an interaction).

Agreements                                      committed   received (date)
  B1 Q1 E 2024-01-01..2024-12-31                   1000     1000 (2024-01-15)
  B2 Q2 E 2024-03-01..2025-02-28                    600      700 (2024-03-10: over-received),
                                                             600 (2025-01-20)
  B3 Q3 E 2024-04-01..2024-09-30                    300      300 in kind (2024-05-01)
  B4 Q1 E 2025-01-01..2026-06-30                   1200      600 (2025-01-10)
  B5 Q4 E 2025-02-01..2027-01-01                    966      600 in kind (2025-02-15)
  B6 Q5 E 2025-03-01..2026-12-31                    834      600 (2025-03-05)
  C1 Q5 W 2024-06-01..2025-05-31                    900      400 (2024-07-01), 500 (2025-02-01)
  C2 Q2 W 2025-06-01..2026-05-31  renews B2         500      500 (2025-07-01)

Renewals: B1 by B4 (same partner and region, starts the day after B1 ends);
  B2 by C2 (`renews`, though in another region); B3 and C1 are not renewed.
Expenditures: E 2024-03-31 500 · E 2024-04-01 700 · E 2025-03-15 1200 · E 2025-09-15 1200 ·
  W 2025-06-15 300.
Interactions: Q1 E 2025-10-02 (2025-12-31 − 90 days: outside the window) ·
  Q5 E 2025-12-31 (on period_end: inside) · Q4 W 2025-12-01 · Q6 W 2024-11-15.
Activities (E): 2024-05-10 20 participants 4 libraries · 2025-02-10 0 participants
  1 library · 2025-06-10 48 participants 6 libraries.
Outcomes (E): 2024-12-31 baseline 0 target 4 actual 3 · 2025-03-31 baseline 50 target 40
  actual 45 (a planned decrease, half done) · 2025-12-31 baseline 0 target 10 actual −5
  (achievement −0.5: no lower bound).
"""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.facts import COLUMNS
from pipelines.metrics.settings import MetricSettings
from tests.metrics.hand_made import assert_row, money
from tests.metrics.hand_made import sustainability_row as sustainability

D = date.fromisoformat


def frames() -> dict[str, pl.DataFrame]:
    return {
        "regions": pl.DataFrame({"region_code": ["E", "W"]}),
        "partners": pl.DataFrame(
            {
                "partner_id": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"],
                "name": ["Fondation Un", "Ministère Deux", "Trois SA", "Quatre ONG", "Cinq Bank", "Six Library"],
                "partner_type": ["foundation", "government", "corporate", "ngo", "multilateral", "library"],
                "since": [None, D("2019-05-01"), None, None, None, None],
            }
        ),
        "agreements": pl.DataFrame(
            {
                "agreement_id": ["B1", "B2", "B3", "B4", "B5", "B6", "C1", "C2"],
                "partner_id": ["Q1", "Q2", "Q3", "Q1", "Q4", "Q5", "Q5", "Q2"],
                "region_code": ["E", "E", "E", "E", "E", "E", "W", "W"],
                "title": ["t"] * 8,
                "start_date": [
                    D(d)
                    for d in (
                        "2024-01-01",
                        "2024-03-01",
                        "2024-04-01",
                        "2025-01-01",
                        "2025-02-01",
                        "2025-03-01",
                        "2024-06-01",
                        "2025-06-01",
                    )
                ],
                "end_date": [
                    D(d)
                    for d in (
                        "2024-12-31",
                        "2025-02-28",
                        "2024-09-30",
                        "2026-06-30",
                        "2027-01-01",
                        "2026-12-31",
                        "2025-05-31",
                        "2026-05-31",
                    )
                ],
                "committed_eur": money("1000", "600", "300", "1200", "966", "834", "900", "500"),
                "renews": [None, None, None, None, None, None, None, "B2"],
            }
        ),
        "transactions": pl.DataFrame(
            {
                "agreement_id": ["B1", "B2", "B3", "B2", "B4", "B5", "B6", "C1", "C1", "C2"],
                "transaction_date": [
                    D(d)
                    for d in (
                        "2024-01-15",
                        "2024-03-10",
                        "2024-05-01",
                        "2025-01-20",
                        "2025-01-10",
                        "2025-02-15",
                        "2025-03-05",
                        "2024-07-01",
                        "2025-02-01",
                        "2025-07-01",
                    )
                ],
                "transaction_type": [
                    "income",
                    "income",
                    "in_kind",
                    "income",
                    "income",
                    "in_kind",
                    "income",
                    "income",
                    "income",
                    "income",
                ],
                "amount_eur": money("1000", "700", "300", "600", "600", "600", "600", "400", "500", "500"),
            }
        ),
        "expenditures": pl.DataFrame(
            {
                "region_code": ["E", "E", "E", "E", "W"],
                "expenditure_date": [
                    D(d) for d in ("2024-03-31", "2024-04-01", "2025-03-15", "2025-09-15", "2025-06-15")
                ],
                "amount_eur": money("500", "700", "1200", "1200", "300"),
            }
        ),
        "activities": pl.DataFrame(
            {
                "region_code": ["E", "E", "E"],
                "start_date": [D("2024-05-10"), D("2025-02-10"), D("2025-06-10")],
                "participants": [20, 0, 48],
                "libraries_reached": [4, 1, 6],
            }
        ),
        "interactions": pl.DataFrame(
            {
                "partner_id": ["Q1", "Q5", "Q4", "Q6"],
                "region_code": ["E", "E", "W", "W"],
                "interaction_date": [D("2025-10-02"), D("2025-12-31"), D("2025-12-01"), D("2024-11-15")],
            }
        ),
        "outcomes": pl.DataFrame(
            {
                "region_code": ["E", "E", "E"],
                "period_end": [D("2024-12-31"), D("2025-03-31"), D("2025-12-31")],
                "baseline": [0.0, 50.0, 0.0],
                "target": [4.0, 40.0, 10.0],
                "actual": [3.0, 45.0, -5.0],
            }
        ),
    }


@pytest.fixture(scope="module")
def marts():
    return compute_region_metrics(frames())


def test_periods_are_two_years_and_eight_quarters(marts):
    assert sorted(set(marts.sustainability["period"])) == [
        "2024",
        "2024-Q1",
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
        "2025",
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
    ]


def test_region_e_2024(marts):
    assert_row(
        sustainability(marts, "E", "2024"),
        {
            "region_code": "E",
            "period": "2024",
            "period_type": "year",
            "period_start": D("2024-01-01"),
            "period_end": D("2024-12-31"),
            "income_eur": Decimal("1700.00"),  # B1 1000 + B2 700
            "in_kind_eur": Decimal("300.00"),  # B3
            "support_eur": Decimal("2000.00"),
            "expenditure_eur": Decimal("1200.00"),  # 500 (03-31) + 700 (04-01)
            "operating_margin": 0.4,  # (2000 − 1200) / 2000
            "funder_count": 3,
            "top_funder_id": "Q1",  # Q1 1000, Q2 700, Q3 300
            "top_funder_share": 0.5,
            "hhi": 0.395,  # 0.5² + 0.35² + 0.15²
            "effective_funders": 1 / 0.395,
            "concentration_band": "high",
            # in force on 2024-12-31: B1 (its last day) 1000 − 1000 = 0; B2 600 − 700 -> 0, not −100
            "committed_pipeline_eur": Decimal("0.00"),
            "monthly_burn_eur": Decimal("100.00"),  # 1200 in (2023-12-31, 2024-12-31] / 12
            "runway_months": 0.0,
            "runway_without_top_funder_months": 0.0,
            "multi_year_coverage": 0.0,
            "agreements_ended": 2,  # B1 (12-31), B3 (09-30)
            "renewal_rate": 0.5,  # B1 by B4 (starts the next day); B3 not
            "active_partners": 3,  # Q1 (B1), Q2 (B2), Q3 (B3)
            "new_partners": 2,  # Q1 and Q3; Q2's `since` is 2019
            "partner_retention": None,  # nobody was active in E in 2023
            "engaged_partner_share": 0.0,  # in force: Q1, Q2; no contact in E yet
            "activities": 1,
            "participants": 20,
            "libraries_reached": 4,
            "cost_per_participant_eur": Decimal("60.00"),  # 1200 / 20
            "outcome_achievement": 0.75,  # (3 − 0) / (4 − 0)
            # diversification 0.605, runway 0, renewal 0.5, engagement 0, margin clip(0.9) = 0.9
            "sustainability_score": 100 * (0.605 + 0 + 0.5 + 0 + 0.9) / 5,  # 40.1
            # top share 0.5 is not above 0.5, renewal 0.5 is not below 0.5: strict thresholds
            "risk_flags": ["high_concentration", "short_runway", "top_funder_cliff", "low_engagement"],
            "spending_figures_withheld": None,  # 12 months: spent 1200 ≥ 0.1 × support 2000
        },
    )


def test_region_e_2025_meets_every_default_threshold_exactly_and_raises_one_flag(marts):
    assert_row(
        sustainability(marts, "E", "2025"),
        {
            "region_code": "E",
            "period": "2025",
            "period_type": "year",
            "period_start": D("2025-01-01"),
            "period_end": D("2025-12-31"),
            "income_eur": Decimal("1800.00"),  # B2 600 + B4 600 + B6 600
            "in_kind_eur": Decimal("600.00"),  # B5
            "support_eur": Decimal("2400.00"),
            "expenditure_eur": Decimal("2400.00"),  # 1200 + 1200
            "operating_margin": 0.0,  # (2400 − 2400) / 2400: not below 0, no deficit
            # Q1, Q2, Q4, Q5 600 each: a four-way tie goes to the smallest partner_id
            "funder_count": 4,
            "top_funder_id": "Q1",
            "top_funder_share": 0.25,
            "hhi": 0.25,  # 4 × 0.25²
            "effective_funders": 4.0,
            "concentration_band": "moderate",  # 0.15 ≤ 0.25 ≤ 0.25
            # in force on 2025-12-31: B4 1200 − 600 = 600, B5 966 − 600 = 366, B6 834 − 600 = 234
            "committed_pipeline_eur": Decimal("1200.00"),
            "monthly_burn_eur": Decimal("200.00"),  # 2400 / 12
            "runway_months": 6.0,  # 1200 / 200: not below 6
            "runway_without_top_funder_months": 3.0,  # without Q1's B4: 600 / 200, not below 3
            # days after 2025-12-31 up to 2026-12-31 over days left: B4 181/181 × 600 = 600,
            # B5 365/366 × 366 = 365 (it ends 2027-01-01), B6 365/365 × 234 = 234
            "multi_year_coverage": 1199 / 2400,  # (600 + 365 + 234) / (12 × 200)
            "agreements_ended": 1,  # B2 (02-28)
            "renewal_rate": 1.0,  # C2 names B2 in `renews`, though C2 is in W
            # B2 (Q2), B4 (Q1), B5 (Q4), B6 (Q5); Q1's and Q5's interactions add nobody
            "active_partners": 4,
            "new_partners": 1,  # Q4 (B5, 2025-02-01); Q5 began with C1 in W in 2024
            "partner_retention": 2 / 3,  # of 2024's Q1, Q2, Q3: Q1, Q2
            # in force: Q1 (last contact 10-02: 90 days before, outside), Q4 (contact in W only),
            # Q5 (contact on 12-31: inside)
            "engaged_partner_share": 1 / 3,
            "activities": 2,
            "participants": 48,
            "libraries_reached": 7,
            "cost_per_participant_eur": Decimal("50.00"),  # 2400 / 48
            # mean((45 − 50) / (40 − 50), (−5 − 0) / (10 − 0)) = mean(0.5, −0.5)
            "outcome_achievement": 0.0,
            # diversification 0.75, runway 6/12 = 0.5, renewal 1, engagement 1/3, margin clip(0 + 0.5) = 0.5
            "sustainability_score": 100 * (0.75 + 0.5 + 1 + 1 / 3 + 0.5) / 5,  # 61.67
            "risk_flags": ["low_engagement"],
            "spending_figures_withheld": None,  # spent 2400 ≥ 0.1 × support 2400
        },
    )


def test_region_e_first_quarter_2025(marts):
    # runway, coverage and engagement are as of 2025-03-31; retention compares with 2024-Q4
    assert_row(
        sustainability(marts, "E", "2025-Q1"),
        {
            "region_code": "E",
            "period": "2025-Q1",
            "period_type": "quarter",
            "period_start": D("2025-01-01"),
            "period_end": D("2025-03-31"),
            "income_eur": Decimal("1800.00"),
            "in_kind_eur": Decimal("600.00"),
            "support_eur": Decimal("2400.00"),
            "expenditure_eur": Decimal("1200.00"),  # 03-15
            "operating_margin": 0.5,  # (2400 − 1200) / 2400
            "funder_count": 4,
            "top_funder_id": "Q1",
            "top_funder_share": 0.25,
            "hhi": 0.25,
            "effective_funders": 4.0,
            "concentration_band": "moderate",
            # in force on 03-31, with what they received by then: B4 600, B5 366, B6 234 (B2 ended 02-28)
            "committed_pipeline_eur": Decimal("1200.00"),
            # (2024-03-31, 2025-03-31]: 700 (2024-04-01) + 1200 (2025-03-15); 2024-03-31 is outside
            "monthly_burn_eur": Decimal("158.33"),  # 1900 / 12, rounded to cents
            "runway_months": 1200 * 12 / 1900,  # 7.58, from the exact 1900, not 158.33
            "runway_without_top_funder_months": 600 * 12 / 1900,  # 3.79
            # 365 days from 03-31 to 2026-03-31, out of the days left: B4 456, B5 641, B6 640
            "multi_year_coverage": (600 * 365 / 456 + 366 * 365 / 641 + 234 * 365 / 640) / 1900,  # 0.4327
            "agreements_ended": 1,
            "renewal_rate": 1.0,  # B2, renewed by C2
            "active_partners": 4,
            "new_partners": 1,  # Q2 (B2), Q1, Q4, Q5; Q4 new on 02-01
            "partner_retention": 1.0,  # 2024-Q4: Q1 (B1), Q2 (B2); both again
            "engaged_partner_share": 0.0,  # in force: Q1, Q4, Q5; no contact in E by 03-31
            "activities": 1,
            "participants": 0,
            "libraries_reached": 1,
            "cost_per_participant_eur": None,  # nobody took part
            "outcome_achievement": 0.5,  # (45 − 50) / (40 − 50)
            # diversification 0.75, runway min(7.58/12, 1) = 12/19, renewal 1, engagement 0, margin clip(1.0) = 1
            "sustainability_score": 100 * (0.75 + 12 / 19 + 1 + 0 + 1) / 5,  # 67.63
            "risk_flags": ["low_engagement"],
            # the burn's 12 months, not the quarter: spent 1900; support B3 300 (2024-05-01) + 2400 in
            # 2025-Q1 = 2700 (B1's and B2's 2024 income is before 2024-03-31); 1900 ≥ 270
            "spending_figures_withheld": None,
        },
    )


def test_region_w_2025(marts):
    assert_row(
        sustainability(marts, "W", "2025"),
        {
            "region_code": "W",
            "period": "2025",
            "period_type": "year",
            "period_start": D("2025-01-01"),
            "period_end": D("2025-12-31"),
            "income_eur": Decimal("1000.00"),  # C1 500 + C2 500
            "in_kind_eur": Decimal("0.00"),
            "support_eur": Decimal("1000.00"),
            "expenditure_eur": Decimal("300.00"),
            "operating_margin": 0.7,  # (1000 − 300) / 1000
            "funder_count": 2,
            "top_funder_id": "Q2",  # Q2 500 and Q5 500: the tie goes to Q2
            "top_funder_share": 0.5,  # not above 0.5: no dominant_funder
            "hhi": 0.5,
            "effective_funders": 2.0,
            "concentration_band": "high",
            "committed_pipeline_eur": Decimal("0.00"),  # C2 in force, fully received
            "monthly_burn_eur": Decimal("25.00"),  # 300 / 12
            "runway_months": 0.0,
            "runway_without_top_funder_months": 0.0,
            "multi_year_coverage": 0.0,
            "agreements_ended": 1,
            "renewal_rate": 0.0,  # C1; Q5's B6 is in E, so no renewal
            "active_partners": 3,  # Q5 (C1), Q2 (C2), Q4 (interaction 12-01)
            # Q4's first contact is B5 in E on 2025-02-01: new in W too. Q5 began in 2024, Q2 in 2019
            "new_partners": 1,
            "partner_retention": 0.5,  # 2024: Q5 (C1), Q6 (interaction); Q5 again
            "engaged_partner_share": 0.0,  # in force: Q2 (C2), never contacted
            "activities": 0,
            "participants": 0,
            "libraries_reached": 0,
            "cost_per_participant_eur": None,
            "outcome_achievement": None,
            # diversification 0.5, runway 0, renewal 0, engagement 0, margin clip(1.2) = 1
            "sustainability_score": 100 * (0.5 + 0 + 0 + 0 + 1) / 5,  # 30
            "risk_flags": ["high_concentration", "short_runway", "top_funder_cliff", "low_renewal", "low_engagement"],
            "spending_figures_withheld": None,  # spent 300 ≥ 0.1 × support 1000
        },
    )


def test_all_2025_nets_partners_across_regions(marts):
    assert_row(
        sustainability(marts, "ALL", "2025"),
        {
            "region_code": "ALL",
            "period": "2025",
            "period_type": "year",
            "period_start": D("2025-01-01"),
            "period_end": D("2025-12-31"),
            "income_eur": Decimal("2800.00"),
            "in_kind_eur": Decimal("600.00"),
            "support_eur": Decimal("3400.00"),
            "expenditure_eur": Decimal("2700.00"),
            "operating_margin": 7 / 34,  # (3400 − 2700) / 3400
            # Q1 600, Q2 600 + 500 = 1100, Q4 600, Q5 600 + 500 = 1100: Q2 and Q5 tie, Q2 wins
            "funder_count": 4,
            "top_funder_id": "Q2",
            "top_funder_share": 11 / 34,  # 1100 / 3400
            # (2 × 1100² + 2 × 600²) / 3400² = 3,140,000 / 11,560,000 = 157/578 = 0.2716: high,
            # while E (0.25) is moderate and W is 0.5
            "hhi": 157 / 578,
            "effective_funders": 578 / 157,
            "concentration_band": "high",
            "committed_pipeline_eur": Decimal("1200.00"),  # E 1200 + W 0
            "monthly_burn_eur": Decimal("225.00"),  # 2700 / 12
            "runway_months": 1200 * 12 / 2700,  # 5.33
            "runway_without_top_funder_months": 1200 * 12 / 2700,  # Q2's C2 has nothing left
            "multi_year_coverage": 1199 / 2700,
            "agreements_ended": 2,  # B2, C1
            "renewal_rate": 0.5,  # B2 (by C2); C1 not: B6 is Q5's, but in E
            "active_partners": 4,  # Q1, Q2, Q4, Q5
            "new_partners": 1,  # Q4, counted once though new in E and in W
            "partner_retention": 3 / 5,  # 2024: Q1, Q2, Q3, Q5, Q6; Q1, Q2, Q5 again
            # in force: Q1 (contact 10-02: outside), Q2 (none), Q4 (12-01 in W: inside), Q5 (12-31)
            "engaged_partner_share": 0.5,
            "activities": 2,
            "participants": 48,
            "libraries_reached": 7,
            "cost_per_participant_eur": Decimal("56.25"),  # 2700 / 48
            "outcome_achievement": 0.0,
            # diversification 421/578, runway 5.33/12 = 4/9, renewal 0.5, engagement 0.5, margin 7/34 + 0.5 = 12/17
            "sustainability_score": 100 * (421 / 578 + 4 / 9 + 0.5 + 0.5 + 12 / 17) / 5,  # 57.57
            "risk_flags": ["high_concentration", "short_runway"],
            "spending_figures_withheld": None,  # spent 2700 ≥ 0.1 × support 3400
        },
    )


def test_new_partners_and_retention_year_by_year(marts):
    figures = {
        (r["region_code"], r["period"]): (r["active_partners"], r["new_partners"], r["partner_retention"])
        for r in marts.sustainability.filter(pl.col("period_type") == "year").iter_rows(named=True)
    }
    assert figures == {
        ("E", "2024"): (3, 2, None),  # Q1, Q3 new (Q2 since 2019)
        ("E", "2025"): (4, 1, 2 / 3),
        ("W", "2024"): (2, 2, None),  # Q5 (C1) and Q6 (interaction), both new
        ("W", "2025"): (3, 1, 0.5),
        ("ALL", "2024"): (5, 4, None),  # Q1, Q2, Q3, Q5, Q6; all but Q2 new
        ("ALL", "2025"): (4, 1, 0.6),
    }


def test_support_mix_shares_add_up_to_one(marts):
    mix = marts.support_mix.filter(pl.col("period") == "2025")
    shares = {(r["region_code"], r["partner_type"]): r["share"] for r in mix.iter_rows(named=True)}
    assert shares == pytest.approx(
        {
            ("E", "foundation"): 0.25,
            ("E", "government"): 0.25,
            ("E", "ngo"): 0.25,
            ("E", "multilateral"): 0.25,
            ("W", "government"): 0.5,
            ("W", "multilateral"): 0.5,
            # of 3400: Q1 600, Q2 1100, Q4 600, Q5 1100
            ("ALL", "foundation"): 600 / 3400,
            ("ALL", "government"): 1100 / 3400,
            ("ALL", "ngo"): 600 / 3400,
            ("ALL", "multilateral"): 1100 / 3400,
        }
    )
    totals = mix.group_by("region_code").agg(pl.col("share").sum())
    assert dict(totals.iter_rows()) == pytest.approx({"E": 1.0, "W": 1.0, "ALL": 1.0})


def test_commitments_ending_within_twelve_months_include_the_last_day(marts):
    expiring = marts.expiring_commitments.filter((pl.col("period") == "2025") & (pl.col("region_code") != "ALL"))
    assert expiring.select("region_code", "agreement_id", "end_date", "remaining_eur").rows() == [
        # (2025-12-31, 2026-12-31]: B6 ends on the last day and is in; B5 ends a day later and is not
        ("E", "B4", D("2026-06-30"), Decimal("600.00")),
        ("E", "B6", D("2026-12-31"), Decimal("234.00")),
        # fully received, still listed: the mart lists every agreement in force that runs out
        ("W", "C2", D("2026-05-31"), Decimal("0.00")),
    ]


def test_july_fiscal_year_2025_of_region_e():
    marts = compute_region_metrics(frames(), MetricSettings(fiscal_year_start_month=7))
    r = sustainability(marts, "E", "FY2025")
    assert (r["period_type"], r["period_start"], r["period_end"]) == ("fiscal_year", D("2024-07-01"), D("2025-06-30"))
    # 2025's B2 600, B4 600, B6 600 and B5 600 in kind; nothing of E's 2024 money is after 07-01
    assert (r["income_eur"], r["in_kind_eur"]) == (Decimal("1800.00"), Decimal("600.00"))
    assert r["expenditure_eur"] == Decimal("1200.00")  # 2025-03-15; 2024-04-01 is in FY2024
    assert r["monthly_burn_eur"] == Decimal("100.00")  # (2024-06-30, 2025-06-30]: 1200
    assert r["committed_pipeline_eur"] == Decimal("1200.00") and r["runway_months"] == pytest.approx(12.0)
    # ended: B3 (2024-09-30), B1 (2024-12-31), B2 (2025-02-28); B1 and B2 renewed, B3 not
    assert r["agreements_ended"] == 3 and r["renewal_rate"] == pytest.approx(2 / 3)
    # FY2024 (2023-07-01..2024-06-30): Q1, Q2, Q3 — all three still had an agreement after 07-01
    assert r["partner_retention"] == 1.0 and r["new_partners"] == 1  # Q4
    assert {
        row["period"] for row in marts.sustainability.iter_rows(named=True) if row["period_type"] == "fiscal_year"
    } == {"FY2024", "FY2025", "FY2026"}


def _one_region_funded(amounts: list[int]) -> dict[str, pl.DataFrame]:
    """Region R, 2025: partner F<i> gives amounts[i] on one agreement and nothing else happens."""
    n = len(amounts)
    partners = [f"F{i}" for i in range(n)]
    given = money(*map(str, amounts))
    nothing = {
        name: pl.DataFrame(schema=COLUMNS[name]) for name in ("expenditures", "activities", "interactions", "outcomes")
    }
    return {
        "regions": pl.DataFrame({"region_code": ["R"]}),
        "partners": pl.DataFrame(
            {"partner_id": partners, "name": partners, "partner_type": ["foundation"] * n, "since": [None] * n}
        ),
        "agreements": pl.DataFrame(
            {
                "agreement_id": partners,
                "partner_id": partners,
                "region_code": ["R"] * n,
                "title": ["t"] * n,
                "start_date": [D("2025-01-01")] * n,
                "end_date": [D("2025-12-31")] * n,
                "committed_eur": given,
                "renews": [None] * n,
            }
        ),
        "transactions": pl.DataFrame(
            {
                "agreement_id": partners,
                "transaction_date": [D("2025-03-01")] * n,
                "transaction_type": ["income"] * n,
                "amount_eur": given,
            }
        ),
        **nothing,
    }


@pytest.mark.parametrize(
    ("amounts", "hhi", "band"),
    [
        ([1] * 7, 1 / 7, "unconcentrated"),  # 0.1429 < 0.15
        ([4, 3, 3, 3, 3, 2, 2], 0.15, "moderate"),  # (16 + 4 × 9 + 2 × 4) / 400: on the lower boundary
        ([5, 5, 5, 5], 0.25, "moderate"),  # 4 × 0.25²: on the upper boundary
        # (3 × 121 + 36 + 1) / 1600 = 0.25, but Σ s² in floats is 0.25000000000000006
        ([11, 11, 11, 6, 1], 0.25, "moderate"),
        ([6, 5, 5, 4], 0.255, "high"),  # (36 + 2 × 25 + 16) / 400
    ],
)
def test_default_concentration_bands_at_their_boundaries(amounts, hhi, band):
    r = sustainability(compute_region_metrics(_one_region_funded(amounts)), "R", "2025")
    assert (r["hhi"], r["concentration_band"]) == (pytest.approx(hhi), band)
