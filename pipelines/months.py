"""Adding months to a date, written once: the metrics' periods, the sample's agreement
terms and a 360Giving grant's planned duration all need it."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months (back when negative); a day the target
    month lacks becomes its last day (31 January + 1 month = 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
