"""Trends, what changed and the funding cliff on a hand-made package, every number by hand.

Two regions over 2023–2025 (all money already in EUR; the periods are 2023, 2024, 2025 and
their quarters). Partners F1, F2, F3.

Agreements                               committed   received (date)
  G1 F1 N 2023-01-01..2025-12-31               900   300 (2023-03-01), 300 (2025-03-01)
  G2 F2 N 2024-01-01..2024-12-31               200   200 (2024-06-01)
  G3 F3 N 2025-01-01..2026-02-14               800   300 (2025-05-01)
  G5 F2 Z 2025-01-01..2026-12-31              1000   nothing
No agreement renews another.
Expenditures: N 2023-06-15 600 · N 2024-06-15 300 · N 2025-06-15 1200 · none in Z.
Interactions: F1 N 2024-11-15 (within the 90 days to 2024-12-31) · F3 N 2025-12-01.

So F1 funds N in 2023, nothing in 2024 and again in 2025 (a funder that leaves and comes
back); in 2025 F1 and F3 give 300 each (a tie: the top funder is F1, the smaller id); 2023
has no previous period; G3 ends inside the projection (2026-02-14); N's cumulative
commitments equal its cumulative burn exactly at the end of 2026-05; Z spends nothing.

Region N by hand:
          support  spent  HHI   pipeline at end        burn   runway  renewal  engaged  margin
  2023    300      600    1.0   G1 900−300 = 600       50     12      null     0/1 = 0  −1
  2024    200      300    1.0   G1 600 + G2 0 = 600    25     24      0 (G2)   F1 of F1,F2 = 0.5  −0.5
  2025    600     1200    0.5   G1 300 + G3 500 = 800  100    8       0 (G1)   F3 of F1,F3 = 0.5  −1
Score components (weights 0.2 each; renewal missing in 2023, so weights renormalised to 0.8):
  2023: diversification 0, runway 1, engagement 0, margin clip(−1 + .5) = 0 → 100 × 0.2 × 1 / 0.8 = 25.0
  2024: 0, 1, renewal 0, 0.5, margin 0 → 20 × 1.5 = 30.0
        contributions: runway 20, engagement 10, others 0
  2025: 0.5, 8/12, 0, 0.5, 0 → 20 × (0.5 + 0.666… + 0.5) = 33.333…
        contributions: diversification 10, runway 13.333…, engagement 10
"""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.insight import compute_insight_marts
from tests.metrics.hand_made import empty, money

D = date.fromisoformat


def frames() -> dict[str, pl.DataFrame]:
    return {
        "regions": pl.DataFrame({"region_code": ["N", "Z"]}),
        "partners": pl.DataFrame(
            {
                "partner_id": ["F1", "F2", "F3"],
                "name": ["Fonds Un", "Deux Trust", "Drei Stiftung"],
                "partner_type": ["foundation", "government", "foundation"],
                "since": [None, None, None],
            },
            schema_overrides={"since": pl.Date},
        ),
        "agreements": pl.DataFrame(
            {
                "agreement_id": ["G1", "G2", "G3", "G5"],
                "partner_id": ["F1", "F2", "F3", "F2"],
                "region_code": ["N", "N", "N", "Z"],
                "title": ["Core grant", "One-year grant", "Bridge grant", "Zed programme"],
                "start_date": [D("2023-01-01"), D("2024-01-01"), D("2025-01-01"), D("2025-01-01")],
                "end_date": [D("2025-12-31"), D("2024-12-31"), D("2026-02-14"), D("2026-12-31")],
                "committed_eur": money("900", "200", "800", "1000"),
                "renews": [None, None, None, None],
            },
            schema_overrides={"renews": pl.String},
        ),
        "transactions": pl.DataFrame(
            {
                "agreement_id": ["G1", "G1", "G2", "G3"],
                "transaction_date": [D("2023-03-01"), D("2025-03-01"), D("2024-06-01"), D("2025-05-01")],
                "transaction_type": ["income"] * 4,
                "amount_eur": money("300", "300", "200", "300"),
            }
        ),
        "expenditures": pl.DataFrame(
            {
                "region_code": ["N", "N", "N"],
                "expenditure_date": [D("2023-06-15"), D("2024-06-15"), D("2025-06-15")],
                "amount_eur": money("600", "300", "1200"),
            }
        ),
        "activities": empty("activities"),
        "interactions": pl.DataFrame(
            {
                "partner_id": ["F1", "F3"],
                "region_code": ["N", "N"],
                "interaction_date": [D("2024-11-15"), D("2025-12-01")],
            }
        ),
        "outcomes": empty("outcomes"),
    }


@pytest.fixture(scope="module")
def insight():
    f = frames()
    marts = compute_region_metrics(f)
    return marts, compute_insight_marts(f, marts)


def _row(frame: pl.DataFrame, region: str, period: str) -> dict:
    rows = frame.filter((pl.col("region_code") == region) & (pl.col("period") == period))
    assert rows.height == 1
    return rows.row(0, named=True)


def test_the_score_is_as_worked_out(insight):
    marts, _ = insight
    scores = {p: _row(marts.sustainability, "N", p)["sustainability_score"] for p in ("2023", "2024", "2025")}
    assert scores == pytest.approx({"2023": 25.0, "2024": 30.0, "2025": 100 / 3})


# --- marts.region_trends --------------------------------------------------------------


def test_trends_of_2025_against_2024(insight):
    _, i = insight
    row = _row(i.trends, "N", "2025")
    assert row["previous_period"] == "2024"
    assert (row["support_eur"], row["support_eur_previous"], row["support_eur_change"]) == (
        Decimal("600.00"),
        Decimal("200.00"),
        Decimal("400.00"),
    )
    assert (row["expenditure_eur"], row["expenditure_eur_previous"], row["expenditure_eur_change"]) == (
        Decimal("1200.00"),
        Decimal("300.00"),
        Decimal("900.00"),
    )
    assert (row["hhi"], row["hhi_previous"], row["hhi_change"]) == pytest.approx((0.5, 1.0, -0.5))
    assert (row["runway_months"], row["runway_months_previous"], row["runway_months_change"]) == pytest.approx(
        (8.0, 24.0, -16.0)
    )
    assert (row["renewal_rate"], row["renewal_rate_previous"], row["renewal_rate_change"]) == (0.0, 0.0, 0.0)
    assert (
        row["engaged_partner_share"],
        row["engaged_partner_share_previous"],
        row["engaged_partner_share_change"],
    ) == (0.5, 0.5, 0.0)
    assert (
        row["sustainability_score"],
        row["sustainability_score_previous"],
        row["sustainability_score_change"],
    ) == pytest.approx((100 / 3, 30.0, 10 / 3))


def test_trends_of_2024_with_a_null_before_it(insight):
    _, i = insight
    row = _row(i.trends, "N", "2024")
    assert row["support_eur_change"] == Decimal("-100.00")  # 200 − 300
    assert row["runway_months_change"] == pytest.approx(12.0)  # 24 − 12 (600 / 50)
    assert row["renewal_rate_previous"] is None and row["renewal_rate_change"] is None  # nothing ended in 2023
    assert row["engaged_partner_share_change"] == pytest.approx(0.5)  # 0.5 − 0
    assert row["sustainability_score_change"] == pytest.approx(5.0)  # 30 − 25


def test_a_period_with_no_previous_period(insight):
    _, i = insight
    row = _row(i.trends, "N", "2023")
    assert row["previous_period"] is None
    assert row["support_eur"] == Decimal("300.00")
    assert all(
        row[f"{m}_previous"] is None and row[f"{m}_change"] is None
        for m in ("support_eur", "hhi", "runway_months", "sustainability_score")
    )
    assert _row(i.trends, "N", "2023-Q1")["previous_period"] is None
    assert _row(i.trends, "N", "2024-Q1")["previous_period"] == "2023-Q4"
    # No comparison rows at all for 2023 (and no agreement ended in it).
    assert i.changes.filter(pl.col("period") == "2023").is_empty()


def test_trend_types_are_money_decimal_and_ratios_double(insight):
    _, i = insight
    assert i.trends.schema["support_eur_change"] == pl.Decimal(18, 2)
    assert i.trends.schema["hhi_change"] == pl.Float64
    assert i.trends.height == 3 * 15  # (N, Z, ALL) × (3 years + 12 quarters)


# --- marts.region_changes -------------------------------------------------------------


def _changes(i, region: str, period: str) -> list[tuple]:
    rows = i.changes.filter((pl.col("region_code") == region) & (pl.col("period") == period))
    return [
        (r["change_kind"], r["subject_id"], r["amount_eur"])
        for r in rows.iter_rows(named=True)
        if r["change_kind"] != "score_component"
    ]


def test_score_change_split_into_its_five_components(insight):
    _, i = insight
    rows = i.changes.filter(
        (pl.col("region_code") == "N") & (pl.col("period") == "2025") & (pl.col("change_kind") == "score_component")
    )
    points = dict(zip(rows["subject_id"], rows["points"], strict=True))
    # contributions 2025 − 2024: diversification 10 − 0, runway 13.33 − 20, renewal 0 − 0,
    # engagement 10 − 10, margin 0 − 0
    assert list(points) == ["diversification", "runway", "renewal", "engagement", "margin"]
    assert points == pytest.approx(
        {"diversification": 10.0, "runway": -20 / 3, "renewal": 0.0, "engagement": 0.0, "margin": 0.0}
    )
    assert sum(points.values()) == pytest.approx(100 / 3 - 30.0)  # the score's change
    values = dict(zip(rows["subject_id"], zip(rows["value"], rows["previous_value"], strict=True), strict=True))
    assert values["runway"] == pytest.approx((8 / 12, 1.0))
    assert values["diversification"] == pytest.approx((0.5, 0.0))


def test_changes_of_2024(insight):
    _, i = insight
    # flags 2023: high_concentration, dominant_funder, top_funder_cliff (without F1's 600 the pipeline
    #   is 0: runway 0 < 3), low_engagement (0), deficit; renewal null raises nothing
    # flags 2024: high_concentration, dominant_funder, low_renewal (0), deficit; top funder F2 holds
    #   none of the pipeline (G2 fully received), so runway without it stays 24
    assert _changes(i, "N", "2024") == [
        ("flag_raised", "low_renewal", None),
        ("flag_cleared", "top_funder_cliff", None),
        ("flag_cleared", "low_engagement", None),
        ("funder_gained", "F2", Decimal("200.00")),
        ("funder_lost", "F1", Decimal("300.00")),  # its 2023 support
        ("agreement_ended_unrenewed", "G2", Decimal("200.00")),
    ]


def test_changes_of_2025_a_funder_comes_back_and_a_partner_goes_silent(insight):
    _, i = insight
    # flags 2025: high_concentration (HHI 0.5), low_renewal, deficit; dominant_funder cleared (share 0.5 is not > 0.5)
    assert _changes(i, "N", "2025") == [
        ("flag_cleared", "dominant_funder", None),
        ("funder_gained", "F1", Decimal("300.00")),  # tie with F3 at 300: smaller id first
        ("funder_gained", "F3", Decimal("300.00")),
        ("funder_lost", "F2", Decimal("200.00")),
        ("agreement_ended_unrenewed", "G1", Decimal("900.00")),  # committed
        # F1: engaged at 2024-12-31 (contact 2024-11-15), G1 still in force on 2025-12-31, no contact
        # since 2025-10-03; 900 − 600 = 300 still to come
        ("partner_went_silent", "F1", Decimal("300.00")),
    ]
    silent = i.changes.filter(pl.col("change_kind") == "partner_went_silent", pl.col("region_code") == "N").row(
        0, named=True
    )
    assert (silent["event_date"], silent["subject_name"], silent["partner_name"]) == (
        D("2024-11-15"),
        "Fonds Un",
        "Fonds Un",
    )
    ended = i.changes.filter(pl.col("subject_id") == "G1", pl.col("region_code") == "N").row(0, named=True)
    assert (ended["event_date"], ended["subject_name"], ended["partner_id"]) == (D("2025-12-31"), "Core grant", "F1")


# --- marts.region_cash_projection -----------------------------------------------------


def _projection(i, region: str, period: str = "2025") -> list[dict]:
    return i.cash_projection.filter((pl.col("region_code") == region) & (pl.col("period") == period)).to_dicts()


def test_the_cliff_falls_exactly_on_a_month_boundary(insight):
    _, i = insight
    months = _projection(i, "N")
    assert [m["month_number"] for m in months] == list(range(1, 25))
    assert months[0]["month"] == D("2026-01-01") and months[-1]["month"] == D("2027-12-01")
    # G1 ends on period_end (no day left): nothing. G3: 500 over (2025-12-31, 2026-02-14], 45 days:
    # January 500 × 31 / 45 = 344.44, February 500 × 14 / 45 = 155.56 (an agreement ending inside).
    assert [m["inflow_eur"] for m in months[:3]] == [Decimal("344.44"), Decimal("155.56"), Decimal("0.00")]
    assert [m["cumulative_inflow_eur"] for m in months[:6]] == [
        Decimal(v) for v in ("344.44", "500.00", "500.00", "500.00", "500.00", "500.00")
    ]
    assert [m["cumulative_burn_eur"] for m in months[:6]] == [
        Decimal(v) for v in ("100.00", "200.00", "300.00", "400.00", "500.00", "600.00")
    ]
    # May: 500 = 500, still covered; June: 500 < 600, the cliff.
    assert [m["covered"] for m in months[:6]] == [True] * 5 + [False]
    assert {m["cliff_month"] for m in months} == {D("2026-06-01")}
    assert months[0]["burn_eur"] == Decimal("100.00")


def test_without_the_top_funder_of_a_tie(insight):
    _, i = insight
    months = _projection(i, "N")
    # Top funder of 2025: F1 (300, tied with F3, smaller id); its G1 adds nothing, so the same.
    assert months[0]["top_funder_id"] == "F1"
    assert [m["inflow_without_top_funder_eur"] for m in months[:2]] == [Decimal("344.44"), Decimal("155.56")]
    assert {m["cliff_month_without_top_funder"] for m in months} == {D("2026-06-01")}


def test_a_region_with_no_burn_has_no_cliff(insight):
    marts, i = insight
    months = _projection(i, "Z")
    # G5: 1000 over 365 days left; January 1000 × 31 / 365 = 84.93; nothing spent.
    assert months[0]["inflow_eur"] == Decimal("84.93")
    assert {m["burn_eur"] for m in months} == {Decimal("0.00")}
    assert all(m["covered"] for m in months) and {m["cliff_month"] for m in months} == {None}
    assert _row(marts.sustainability, "Z", "2025")["spending_figures_withheld"] == "no_spending_recorded"


def test_twelve_months_of_inflows_are_multi_year_coverage(insight):
    marts, i = insight
    months = _projection(i, "N")
    twelve = float(sum(m["inflow_eur"] for m in months[:12]))
    row = _row(marts.sustainability, "N", "2025")
    assert twelve == pytest.approx(row["multi_year_coverage"] * 12 * float(row["monthly_burn_eur"]))  # 500 / 1200


def test_every_region_and_period_has_24_months(insight):
    _, i = insight
    assert i.cash_projection.height == 3 * 15 * 24
    assert i.cash_projection.schema["cumulative_inflow_eur"] == pl.Decimal(18, 2)
