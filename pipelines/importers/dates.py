"""Dates as published: ISO dates and datetimes, 360Giving's day/month forms, Excel serials."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{4})")
_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (after its 1900 leap-year bug)


def parse_iso_date(text: str | None) -> date | None:
    """The date part of "2020-06-01", "2020-06-01T00:00:00+00:00" or "2020-06-01Z"."""
    if not text:
        return None
    match = _ISO.match(text.strip())
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def slashed_order(texts: list[str]) -> str:
    """Whether d/d/yyyy dates in one file are day-first ("dmy") or month-first ("mdy").

    A first part above 12 proves day-first, a second part above 12 month-first; a file
    that proves neither is read day-first, the UK convention of 360Giving publishers.
    """
    for text in texts:
        match = _SLASHED.fullmatch(text.strip())
        if match and int(match[1]) > 12:
            return "dmy"
        if match and int(match[2]) > 12:
            return "mdy"
    return "dmy"


def parse_any_date(value: object, slashed: str = "dmy") -> date | None:
    """A date in any form found in 360Giving files (SOURCES.md quirks 15 and 18):
    ISO (with time and offset), "26/03/2001 00:00", "1/26/2021" (per `slashed`),
    "08/2013" (month/year: the 1st), "19 April 2013", and Excel serial numbers."""
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)) or (
        isinstance(value, str) and re.fullmatch(r"\d{5}(\.\d+)?", value.strip())
    ):
        try:
            days = int(float(value))
        except (ValueError, OverflowError):  # nan, inf
            return None
        # Excel's serials run from 1 (1900-01-01) to 2958465 (9999-12-31)
        return _EXCEL_EPOCH + timedelta(days=days) if 1 <= days <= 2_958_465 else None
    text = str(value).strip()
    found = parse_iso_date(text)
    if found:
        return found
    try:
        if match := _SLASHED.fullmatch(text):
            a, b, year = int(match[1]), int(match[2]), int(match[3])
            day, month = (a, b) if slashed == "dmy" else (b, a)
            return date(year, month, day)
        if match := _MONTH_YEAR.fullmatch(text):
            return date(int(match[2]), int(match[1]), 1)
    except ValueError:
        return None
    for form in ("%d %B %Y", "%d %b %Y", "%B %Y", "%b %Y"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None
