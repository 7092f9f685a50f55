"""Which calendar year a report is about by default: one rule for the report assets, the
benchmark and the metadata of marts.region_sustainability (docs/reports.md).

The default is the latest calendar year that ended before today and in which anything
happened: the global row ('ALL') of that year has support, income, in-kind support or
expenditure other than 0, or at least one activity started. A committed pipeline alone
(agreements in force, money still to come) does not count: it is a balance carried into
every year, and an import can date a grant with nothing disbursed years ahead, which
creates a year whose every flow is 0. Ended years after the chosen one are therefore
empty; they are named, so that a reader knows they were skipped rather than missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from pipelines.metrics.facts import ALL

# A year counts when one of these is not 0 in its global row (money can be negative: a refund).
MONEY_COLUMNS = ("support_eur", "income_eur", "in_kind_eur", "expenditure_eur")
# ... or one of these is above 0.
ACTIVITY_COLUMNS = ("activities",)
COLUMNS = ("region_code", "period", "period_type", "period_end", *MONEY_COLUMNS, *ACTIVITY_COLUMNS)


def has_money_or_activity(row: Mapping) -> bool:
    """True when the mart row records any support, expenditure or activity (nulls count as 0)."""
    return any((row.get(c) or 0) != 0 for c in MONEY_COLUMNS) or any((row.get(c) or 0) > 0 for c in ACTIVITY_COLUMNS)


@dataclass(frozen=True)
class YearChoice:
    period: str | None  # the chosen year; None when no ended year has anything
    skipped: tuple[str, ...]  # ended years after it (all of them when None) with nothing recorded
    ended: tuple[str, ...]  # every year that ended before `today`, oldest first

    def skipped_sentence(self) -> str | None:
        """'2026 and 2027 have no money or activity recorded and were skipped.'"""
        return skipped_sentence(self.skipped)


def latest_complete_year(rows: Iterable[Mapping], today: date) -> YearChoice:
    """The latest calendar year with money or activity whose period_end is before `today`.

    `rows` are marts.region_sustainability rows (dicts, at least COLUMNS); only the global
    rows of period_type 'year' are looked at.
    """
    years = sorted(
        (r for r in rows if r["region_code"] == ALL and r["period_type"] == "year" and r["period_end"] < today),
        key=lambda r: r["period_end"],
    )
    ended = tuple(r["period"] for r in years)
    for index in range(len(years) - 1, -1, -1):
        if has_money_or_activity(years[index]):
            return YearChoice(years[index]["period"], ended[index + 1 :], ended)
    return YearChoice(None, ended, ended)


def skipped_sentence(skipped: Iterable[str]) -> str | None:
    years = list(skipped)
    if not years:
        return None
    if len(years) == 1:
        return f"{years[0]} has no money or activity recorded and was skipped."
    return f"{', '.join(years[:-1])} and {years[-1]} have no money or activity recorded and were skipped."


def no_year_message(choice: YearChoice, today: date) -> str:
    """Why there is no default year, in one line."""
    if not choice.ended:
        return (
            f"marts.region_sustainability has no calendar year that ended before {today}; "
            "run the metrics first or pass a period"
        )
    years = ", ".join(choice.ended)
    return (
        f"no calendar year that ended before {today} has any support, expenditure or activity "
        f"in marts.region_sustainability (years ended: {years}); "
        "load a package that records some or pass a period"
    )
