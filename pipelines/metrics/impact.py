"""Impact: activities, participants, libraries reached, outcome achievement."""

from __future__ import annotations

import polars as pl

from pipelines.metrics.facts import sums_with_all
from pipelines.metrics.periods import in_periods

KEYS = ["region_code", "period"]
ACHIEVEMENT_CAP = 1.5  # over-achievement counts up to 150 % of the planned change


def activity_figures(activities: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """activities (start_date in P), participants and libraries_reached summed over them, with the
    'ALL' rows. Counted and summed per region and month first."""
    monthly = activities.group_by("region_code", month=pl.col("start_date").dt.month_start()).agg(
        activities=pl.len().cast(pl.Int64),
        participants=pl.col("participants").sum(),
        libraries_reached=pl.col("libraries_reached").sum(),
    )
    regional = (
        in_periods(monthly, periods, "month")
        .group_by(KEYS)
        .agg(pl.col("activities", "participants", "libraries_reached").sum())
    )
    return sums_with_all(regional, ["activities", "participants", "libraries_reached"]).with_columns(
        pl.col("activities").cast(pl.Int32)
    )


def outcome_achievement(outcomes: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Mean of min((actual − baseline) / (target − baseline), 1.5) over outcomes with period_end
    in P; outcomes whose target equals their baseline have no planned change and are left out."""
    planned = pl.col("target") - pl.col("baseline")
    return (
        in_periods(
            outcomes.rename({"period_end": "outcome_period_end"}).with_row_index("outcome_order"),
            periods,
            "outcome_period_end",
        )
        .filter(planned != 0)
        .group_by(KEYS)
        .agg(  # the mean in the outcomes' order, so reruns give the same last digit
            outcome_achievement=((pl.col("actual") - pl.col("baseline")) / planned)
            .clip(upper_bound=ACHIEVEMENT_CAP)
            .sort_by("outcome_order")
            .mean()
        )
    )
