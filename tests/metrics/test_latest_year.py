"""The year a report defaults to: the latest ended calendar year with money or activity,
naming the empty years after it (pipelines/metrics/latest_year.py)."""

from datetime import date

import polars as pl
from dagster import TableSchema

from pipelines.metrics.assets import DESCRIPTIONS, SUSTAINABILITY, materializations
from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.latest_year import COLUMNS, has_money_or_activity, latest_complete_year, no_year_message
from pipelines.metrics.settings import MetricSettings
from tests.metrics.hand_made import empty, money

D = date.fromisoformat


def year(period: str, **figures) -> dict:
    values = {"support_eur": 0, "income_eur": 0, "in_kind_eur": 0, "expenditure_eur": 0, "activities": 0}
    return {
        "region_code": "ALL",
        "period": period,
        "period_type": "year",
        "period_end": D(f"{period}-12-31"),
        **values,
        **figures,
    }


def test_each_kind_of_money_or_activity_counts_and_a_pipeline_alone_does_not():
    assert has_money_or_activity(year("2025", support_eur=10))
    assert has_money_or_activity(year("2025", income_eur=-5, in_kind_eur=5))  # nets to 0 support, still money
    assert has_money_or_activity(year("2025", expenditure_eur=1))
    assert has_money_or_activity(year("2025", activities=1))
    assert not has_money_or_activity(year("2025", committed_pipeline_eur=5000, active_partners=3))
    assert not has_money_or_activity(year("2025", support_eur=None))  # a sparse row: null is nothing


def test_empty_later_years_are_skipped_and_named():
    rows = [
        year("2024", support_eur=100),
        year("2025", activities=2),
        year("2026"),
        year("2027"),
        year("2028", support_eur=100),
    ]  # 2028 has not ended on 2028-06-01
    choice = latest_complete_year(rows, D("2028-06-01"))
    assert (choice.period, choice.skipped) == ("2025", ("2026", "2027"))
    assert choice.skipped_sentence() == "2026 and 2027 have no money or activity recorded and were skipped."
    one = latest_complete_year(rows[:3], D("2027-01-01"))
    assert one.skipped_sentence() == "2026 has no money or activity recorded and was skipped."
    assert latest_complete_year(rows[:2], D("2026-01-01")).skipped_sentence() is None


def test_only_the_global_rows_of_calendar_years_count():
    rows = [
        year("2024", support_eur=1),
        year("2025"),
        dict(year("2025", support_eur=9), region_code="EU"),  # a region's money: not the global row
        dict(year("2025", support_eur=9), period="FY2025", period_type="fiscal_year"),
    ]
    assert latest_complete_year(rows, D("2026-03-01")).period == "2024"


def test_no_year_with_anything_says_so_in_one_line():
    choice = latest_complete_year([year("2024"), year("2025")], D("2026-03-01"))
    assert choice.period is None and choice.skipped == ("2024", "2025")
    assert no_year_message(choice, D("2026-03-01")) == (
        "no calendar year that ended before 2026-03-01 has any support, expenditure or activity in "
        "marts.region_sustainability (years ended: 2024, 2025); load a package that records some or pass a period"
    )
    nothing_ended = latest_complete_year([year("2026", support_eur=5)], D("2026-03-01"))
    assert "has no calendar year that ended before 2026-03-01" in no_year_message(nothing_ended, D("2026-03-01"))


def frames_with_a_grant_dated_ahead() -> dict[str, pl.DataFrame]:
    """The issue's case: G1 was paid and spent in 2025; G2, awarded with nothing disbursed, has
    a 0.00 income row dated at its planned start, 2027-03-01. So the periods run to 2027;
    2026 holds nothing, 2027 only the 0.00 row (and G2's 900.00 pipeline)."""
    return {
        "regions": pl.DataFrame({"region_code": ["R"]}),
        "partners": pl.DataFrame(
            {"partner_id": ["P1"], "name": ["F"], "partner_type": ["foundation"], "since": [None]},
            schema_overrides={"since": pl.Date},
        ),
        "agreements": pl.DataFrame(
            {
                "agreement_id": ["G1", "G2"],
                "partner_id": ["P1", "P1"],
                "region_code": ["R", "R"],
                "title": ["t", "u"],
                "start_date": [D("2025-01-01"), D("2027-03-01")],
                "end_date": [D("2025-12-31"), D("2028-02-28")],
                "committed_eur": money("500.00", "900.00"),
                "renews": [None, None],
            }
        ),
        "transactions": pl.DataFrame(
            {
                "agreement_id": ["G1", "G2"],
                "transaction_date": [D("2025-03-01"), D("2027-03-01")],
                "transaction_type": ["income", "income"],
                "amount_eur": money("500.00", "0.00"),
            }
        ),
        "expenditures": pl.DataFrame(
            {"region_code": ["R"], "expenditure_date": [D("2025-05-01")], "amount_eur": money("400.00")}
        ),
        "activities": empty("activities"),
        "interactions": empty("interactions"),
        "outcomes": empty("outcomes"),
    }


def test_a_zero_row_years_ahead_does_not_become_the_latest_year():
    marts = compute_region_metrics(frames_with_a_grant_dated_ahead())
    years = marts.sustainability.filter((pl.col("region_code") == "ALL") & (pl.col("period_type") == "year"))
    by_year = {r["period"]: r for r in years.iter_rows(named=True)}
    assert sorted(by_year) == ["2025", "2026", "2027"]
    assert float(by_year["2027"]["support_eur"]) == 0.0 and float(by_year["2027"]["committed_pipeline_eur"]) == 900.0
    choice = latest_complete_year(marts.sustainability.select(COLUMNS).to_dicts(), D("2028-06-01"))
    assert (choice.period, choice.skipped) == ("2025", ("2026", "2027"))


def test_the_marts_metadata_names_the_year_and_the_skipped_ones():
    marts = compute_region_metrics(frames_with_a_grant_dated_ahead())
    schemas = {key: TableSchema(columns=[]) for key in DESCRIPTIONS}
    [result] = [
        r for r in materializations(marts, MetricSettings(), schemas, D("2028-06-01")) if r.asset_key == SUSTAINABILITY
    ]
    assert result.metadata["latest_year"] == "2025"
    assert result.metadata["skipped_empty_years"] == "2026, 2027"
    table = result.metadata["by_region"].value
    assert table.startswith("**2025**")
    # R: support 500, spent 400 (≥ 50): figures shown; nothing withheld
    assert "| R | " in table and table.splitlines()[4].endswith("| – |")
    assert table.endswith("2026 and 2027 have no money or activity recorded and were skipped.")
