"""spending_figures_withheld: when recorded spending is too small for runway, coverage and
margin to mean anything, worked out by hand at the boundary of min_spending_share.

The package (money in EUR; events 2025-02-01..2025-06-01, so the periods are 2025, 2025-Q1
and 2025-Q2):

  B: agreement AB (P1) 2025-01-01..2026-12-31 committed 5000.00; income 2000.70 on 2025-02-01;
     spent 200.07 on 2025-06-01 — exactly 0.1 × 2000.70 (in floats 200.07000000000002).
  L: the same, but spent 200.06 — one cent below the share.
  Z: no agreement, no money; one activity on 2025-04-01 (20 participants).

The burn window of 2025 and of 2025-Q2 is the same twelve months, (2024-06-30 or
2024-12-31, period_end]: it holds all the money. 2025-Q1's window ends 2025-03-31, before
any spending.
"""

from datetime import date
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.marts import write_marts
from pipelines.metrics.settings import MetricSettings, MetricSettingsError
from tests.metrics.hand_made import empty, money
from tests.metrics.hand_made import sustainability_row as row

D = date.fromisoformat
WITHHELD = ["runway_months", "runway_without_top_funder_months", "multi_year_coverage", "operating_margin"]


def frames() -> dict[str, pl.DataFrame]:
    return {
        "regions": pl.DataFrame({"region_code": ["B", "L", "Z"]}),
        "partners": pl.DataFrame(
            {"partner_id": ["P1"], "name": ["Funder"], "partner_type": ["foundation"], "since": [None]},
            schema_overrides={"since": pl.Date},
        ),
        "agreements": pl.DataFrame(
            {
                "agreement_id": ["AB", "AL"],
                "partner_id": ["P1", "P1"],
                "region_code": ["B", "L"],
                "title": ["t", "t"],
                "start_date": [D("2025-01-01")] * 2,
                "end_date": [D("2026-12-31")] * 2,
                "committed_eur": money("5000.00", "5000.00"),
                "renews": [None, None],
            }
        ),
        "transactions": pl.DataFrame(
            {
                "agreement_id": ["AB", "AL"],
                "transaction_date": [D("2025-02-01")] * 2,
                "transaction_type": ["income", "income"],
                "amount_eur": money("2000.70", "2000.70"),
            }
        ),
        "expenditures": pl.DataFrame(
            {
                "region_code": ["B", "L"],
                "expenditure_date": [D("2025-06-01")] * 2,
                "amount_eur": money("200.07", "200.06"),
            }
        ),
        "activities": pl.DataFrame(
            {"region_code": ["Z"], "start_date": [D("2025-04-01")], "participants": [20], "libraries_reached": [1]}
        ),
        "interactions": empty("interactions"),
        "outcomes": empty("outcomes"),
    }


@pytest.fixture(scope="module")
def marts():
    return compute_region_metrics(frames())


def test_spending_exactly_at_the_share_shows_the_figures(marts):
    r = row(marts, "B")
    assert r["spending_figures_withheld"] is None  # 200.07 is not below 0.1 × 2000.70
    assert r["committed_pipeline_eur"] == Decimal("2999.30")  # 5000 − 2000.70
    assert r["runway_months"] == pytest.approx(12 * 2999.30 / 200.07)  # 179.9


def test_one_cent_below_the_share_withholds_them_and_the_marts_keep_the_numbers(marts):
    r = row(marts, "L")
    assert r["spending_figures_withheld"] == "spending_below_min_share"  # 200.06 < 200.07
    assert r["runway_months"] == pytest.approx(12 * 2999.30 / 200.06)  # 179.9, kept
    assert r["runway_without_top_funder_months"] == pytest.approx(0.0)  # P1 is the only funder
    assert r["multi_year_coverage"] == pytest.approx(2999.30 / 200.06)  # all of AL's rest falls in 2026
    assert r["operating_margin"] == pytest.approx((2000.70 - 200.06) / 2000.70)  # 0.90
    # the flags are the spec's, on the kept numbers: P1 gives everything; no flag rests on spending here
    assert r["risk_flags"] == ["high_concentration", "dominant_funder", "top_funder_cliff"]


def test_a_region_with_no_money_at_all_has_nothing_spent(marts):
    r = row(marts, "Z")
    assert r["support_eur"] == Decimal("0.00") and r["expenditure_eur"] == Decimal("0.00")
    assert r["spending_figures_withheld"] == "no_spending_recorded"
    assert all(r[c] is None for c in WITHHELD)  # null in the marts already


def test_the_global_row_applies_the_rule_to_its_own_sums(marts):
    r = row(marts, "ALL")
    # spent 200.07 + 200.06 = 400.13 < 0.1 × 4001.40 = 400.14
    assert r["spending_figures_withheld"] == "spending_below_min_share"


def test_quarters_use_the_burn_window_not_the_quarter(marts):
    # 2025-Q1 ends 2025-03-31: nothing spent yet in the twelve months before
    assert row(marts, "B", "2025-Q1")["spending_figures_withheld"] == "no_spending_recorded"
    # 2025-Q2: (2024-06-30, 2025-06-30] holds the 2000.70 and the 200.07: as for the year
    assert row(marts, "B", "2025-Q2")["spending_figures_withheld"] is None
    assert row(marts, "L", "2025-Q2")["spending_figures_withheld"] == "spending_below_min_share"


def test_the_setting_moves_the_boundary_and_changes_nothing_else(marts):
    off = compute_region_metrics(frames(), MetricSettings(min_spending_share=0))
    # 0 keeps only the no-spending rule
    assert row(off, "L")["spending_figures_withheld"] is None
    assert row(off, "Z")["spending_figures_withheld"] == "no_spending_recorded"
    stricter = compute_region_metrics(frames(), MetricSettings(min_spending_share=0.2))
    assert row(stricter, "B")["spending_figures_withheld"] == "spending_below_min_share"  # 200.07 < 400.14
    # every other column, flags and score included, is the same whatever the setting
    for other in (off, stricter):
        assert other.sustainability.drop("spending_figures_withheld").equals(
            marts.sustainability.drop("spending_figures_withheld")
        )


def test_a_share_outside_0_to_1_is_refused_by_name():
    for value in (-0.1, 1.5, float("nan")):
        with pytest.raises(MetricSettingsError, match="min_spending_share"):
            MetricSettings(min_spending_share=value)


def test_published_as_varchar_with_the_setting_used(tmp_path, marts):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        write_marts(conn, marts, MetricSettings())
        assert conn.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND table_name = 'region_sustainability' AND column_name = 'spending_figures_withheld'"
        ).fetchone() == ("VARCHAR",)
        assert conn.execute(
            "SELECT region_code, spending_figures_withheld, round(runway_months, 1) "
            "FROM marts.region_sustainability WHERE period = '2025' ORDER BY region_code"
        ).fetchall() == [
            ("ALL", "spending_below_min_share", 179.9),
            ("B", None, 179.9),
            ("L", "spending_below_min_share", 179.9),
            ("Z", "no_spending_recorded", None),
        ]
        assert conn.execute("SELECT value FROM marts.metric_settings WHERE name = 'min_spending_share'").fetchone() == (
            "0.1",
        )
