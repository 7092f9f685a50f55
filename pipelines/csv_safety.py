"""CSV cells that a spreadsheet would run as a formula, neutralised.

Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`, `-` or `@`
as a formula (`=HYPERLINK("http://x","click")`), and a leading tab or carriage return
hides one. Every CSV this project writes for people to open passes its cells through
`neutralise_cells`: such a cell gets a leading apostrophe (`'=HYPERLINK(...)`), which the
spreadsheet shows as text and which keeps the value readable. A plain number is left
as it is, so a refund of `-50.00` or an amount of `+3` stays a number.
"""

from __future__ import annotations

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_cells(cells: list) -> list:
    """The cells as written: an apostrophe before a text that a spreadsheet would run
    (a list in, a list out: the importers write millions of cells)."""
    return [
        "'" + value if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value) else value
        for value in cells
    ]


def neutralise_row(row: dict) -> dict:
    return dict(zip(row, neutralise_cells(list(row.values())), strict=True))
