"""The periods the marts are computed for, and how facts are matched to them.

Calendar years are named `2025`, quarters `2025-Q3`. With a fiscal year starting in
another month than January, fiscal years are added as period_type `fiscal_year`, named
after the calendar year in which they end: with a July start, `FY2026` is
2025-07-01..2026-06-30.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from pipelines.months import add_months

PERIOD_SCHEMA = {
    "period": pl.String,
    "period_type": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    # The previous period of the same length (for partner retention).
    "previous_start": pl.Date,
    "previous_end": pl.Date,
}


def build_periods(first: date | None, last: date | None, fiscal_year_start_month: int = 1) -> pl.DataFrame:
    """Every year and quarter (and fiscal year) from the one holding `first` to the one holding `last`.

    No dates (an empty package) means no periods.
    """
    rows: list[tuple] = []
    if first is not None and last is not None:
        for year in range(first.year, last.year + 1):
            rows.append((str(year), "year", date(year, 1, 1), 12))
        for index in range(_quarter_index(first), _quarter_index(last) + 1):
            year, quarter = divmod(index, 4)
            rows.append((f"{year}-Q{quarter + 1}", "quarter", date(year, 3 * quarter + 1, 1), 3))
        if fiscal_year_start_month != 1:
            start = fiscal_year_start_month
            for end_year in range(_fiscal_end_year(first, start), _fiscal_end_year(last, start) + 1):
                rows.append((f"FY{end_year}", "fiscal_year", date(end_year - 1, start, 1), 12))
    return pl.DataFrame(
        [
            (
                name,
                kind,
                begin,
                add_months(begin, months) - timedelta(days=1),
                add_months(begin, -months),
                begin - timedelta(days=1),
            )
            for name, kind, begin, months in rows
        ],
        schema=PERIOD_SCHEMA,
        orient="row",
    )


def period_months(periods: pl.DataFrame) -> pl.DataFrame:
    """(month, period): the first day of every month each period spans.

    Every period (year, quarter, fiscal year, and the previous period of each) starts on a
    month's first day and ends on a month's last day, so a date lies in a period exactly
    when its month does: matching facts to periods is an equality join on the month.
    """
    if periods.is_empty():
        return pl.DataFrame(schema={"month": pl.Date, "period": pl.String})
    return (
        periods.select("period", month=pl.date_ranges("period_start", "period_end", interval="1mo"))
        .explode("month")
        .select("month", "period")
    )


def in_periods(facts: pl.DataFrame, periods: pl.DataFrame, date_column: str) -> pl.DataFrame:
    """Each fact once for every period whose closed range [period_start, period_end] holds its date.

    `periods` has the columns period, period_start, period_end, each range whole months
    (build_periods, and the periods before them). An equality join on the fact's month
    (period_months), not a range join.
    """
    return (
        facts.with_columns(month=pl.col(date_column).dt.month_start())
        .join(period_months(periods.select("period", "period_start", "period_end")), on="month")
        .drop("month")
    )


def months_before(day: pl.Expr, months: int) -> pl.Expr:
    """Calendar-month arithmetic, clamped to the month's end (2025-02-28 - 12 months = 2024-02-28)."""
    return day.dt.offset_by(f"{-months}mo")


def months_after(day: pl.Expr, months: int) -> pl.Expr:
    return day.dt.offset_by(f"{months}mo")


def _quarter_index(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def _fiscal_end_year(day: date, start_month: int) -> int:
    return day.year + 1 if day.month >= start_month else day.year
