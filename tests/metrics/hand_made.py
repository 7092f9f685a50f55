"""Helpers for the hand-made metric packages: money columns, empty tables, one mart row, a whole-row assert."""

from decimal import Decimal

import polars as pl
import pytest

from pipelines.metrics.facts import COLUMNS

MONEY = pl.Decimal(18, 2)


def money(*values: str) -> pl.Series:
    return pl.Series([Decimal(v) for v in values], dtype=MONEY)


def empty(table: str) -> pl.DataFrame:
    """A staging table with no rows, in the columns and types the metrics read (facts.COLUMNS)."""
    return pl.DataFrame(schema=COLUMNS[table])


def sustainability_row(marts, region: str, period: str = "2025") -> dict:
    """The one marts.region_sustainability row of `region` in `period`."""
    rows = marts.sustainability.filter((pl.col("region_code") == region) & (pl.col("period") == period))
    assert rows.height == 1
    return rows.row(0, named=True)


def assert_row(actual: dict, expected: dict) -> None:
    """Every column: exact for text, dates, counts and DECIMAL money; approx for ratios."""
    assert set(actual) == set(expected), set(actual) ^ set(expected)
    for column, value in expected.items():
        if isinstance(value, float):
            assert actual[column] == pytest.approx(value), column
        else:
            assert actual[column] == value, column
