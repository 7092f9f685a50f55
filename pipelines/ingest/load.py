"""Load a partner data package into the warehouse: `staging.*` plus `audit.*`.

The whole load is one DuckDB transaction (with DuckLake, part of the run's one:
pipelines/transactions.py): a load that fails part-way leaves the previous warehouse as it
was, and loading the same package twice gives the same tables.
Every input row ends up in its staging table or in `audit.rejects`, with the rule it broke.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.crashpoints import reached
from pipelines.ingest.contract import TABLES
from pipelines.ingest.iso4217 import ISO4217_CSV
from pipelines.ingest.read import (
    Bytes,
    PackageError,
    Source,
    create_src,
    drop,
    find_file,
    inspect,
    read_into,
    scan_files,
    watch,
)
from pipelines.progress import Progress
from pipelines.schema import input_table
from pipelines.schema.staging_sql import staging_query
from pipelines.settings import SQL_DIR
from pipelines.transactions import transaction

log = logging.getLogger(__name__)

STAGING_SQL = SQL_DIR / "staging"
DEFAULT_DATE_WINDOW = (date(1900, 1, 1), date(2100, 12, 31))
"""Plausible dates (PLAUSIBLE_DATE_FROM, PLAUSIBLE_DATE_TO): a date outside is a reject."""
MAX_MONEY = Decimal("9999999999999999.99")
"""The largest amount DECIMAL(18,2) holds. The converted amounts of a whole package, in
absolute value, must add up to no more (rule total_out_of_range), so that every sum and
difference the metrics form over any rows fits the marts' DECIMAL(18,2)."""

AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE OR REPLACE TABLE audit.rejects (
    source VARCHAR NOT NULL, line BIGINT NOT NULL, rule VARCHAR NOT NULL,
    message VARCHAR NOT NULL, raw VARCHAR NOT NULL
);
CREATE OR REPLACE TABLE audit.load_summary (
    source VARCHAR NOT NULL, file VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL, rows_loaded BIGINT NOT NULL, rows_rejected BIGINT NOT NULL
);
CREATE OR REPLACE TABLE audit.package (fingerprint VARCHAR NOT NULL, reporting_currency VARCHAR NOT NULL);
"""


@dataclass(frozen=True)
class TableLoad:
    source: str
    file: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int


@dataclass(frozen=True)
class LoadReport:
    fingerprint: str
    reporting_currency: str
    tables: tuple[TableLoad, ...]

    def table(self, name: str) -> TableLoad:
        return next(t for t in self.tables if t.source == name)

    @property
    def rows_rejected(self) -> int:
        return sum(t.rows_rejected for t in self.tables)


def load_package(
    folder: str | Path,
    conn: duckdb.DuckDBPyConnection,
    reporting_currency: str = "EUR",
    progress: Callable[[str], None] | None = None,
    date_window: tuple[date, date] = DEFAULT_DATE_WINDOW,
) -> LoadReport:
    """Read every table of the package at `folder`, validate it and replace the staging
    and audit tables in one transaction. Raises `PackageError` when a file is unusable, or
    when the reporting currency is not EUR and has no loaded rate (nothing is then changed).
    `progress` receives a line per table and phase (rows, rows/s, elapsed; while a large
    file is read or checked, one every few seconds); by default this module's logger.
    `date_window`: the first and last plausible date (rule implausible_date)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PackageError(f"{folder}: the partner data folder does not exist (PARTNER_DATA_DIR)")
    if date_window[0] > date_window[1]:
        raise PackageError(f"the plausible dates {date_window[0]} to {date_window[1]} are an empty window")
    files = [find_file(folder, table) for table in TABLES]
    # Every header is checked, every byte is read once (fingerprint, line counts) and every
    # table is read into a temporary table before the warehouse is touched.
    sources = [inspect(path, table, conn) for path, table in zip(files, TABLES, strict=True)]
    fingerprint, scans = scan_files(files)
    try:
        with Progress(progress or log.info, "load") as steps:
            rows_read = [_read(conn, source, scans.get(source.path), steps) for source in sources]
            loads = []
            with transaction(conn):
                conn.execute(AUDIT_DDL)
                conn.execute((STAGING_SQL / "_macros.sql").read_text())
                conn.execute("SET VARIABLE reporting_currency = ?", [reporting_currency])
                conn.execute("SET VARIABLE date_from = ?::DATE", [date_window[0]])
                conn.execute("SET VARIABLE date_to = ?::DATE", [date_window[1]])
                conn.execute("SET VARIABLE money_total = 0::DECIMAL(38, 2)")
                conn.execute(
                    "CREATE OR REPLACE TEMP TABLE currencies AS SELECT code FROM read_csv(?, all_varchar = true)",
                    [str(ISO4217_CSV)],
                )
                for source, rows in zip(sources, rows_read, strict=True):
                    loads.append(_load_table(conn, source, scans.get(source.path), rows, steps))
                    if source.table.name == "fx_rates":
                        conn.execute((STAGING_SQL / "_fx.sql").read_text())
                        _require_reporting_rate(conn, reporting_currency, source.path)
                    reached(f"load:staged:{source.table.name}")
                conn.execute("INSERT INTO audit.package VALUES (?, ?)", [fingerprint, reporting_currency])
                reached("load:before-commit")
            reached("load:committed")
    finally:
        for source in sources:
            drop(conn, source)
    return LoadReport(fingerprint, reporting_currency, tuple(loads))


def _read(conn: duckdb.DuckDBPyConnection, source: Source, scan: Bytes | None, steps: Progress) -> int:
    name = source.table.name
    expected = scan.lines - source.header_lines if scan else 0  # about the rows, for lines while DuckDB reads
    rows = read_into(conn, source, scan, running=lambda done: steps.running(f"{name}: read", int(done * expected)))
    steps.done(f"{name}: read", rows)
    reached(f"load:read:{name}")
    return rows


def _load_table(
    conn: duckdb.DuckDBPyConnection, source: Source, scan: Bytes | None, rows_read: int, steps: Progress
) -> TableLoad:
    table = source.table
    rows_view = create_src(conn, source, scan)
    query = staging_query(input_table(table.name), (STAGING_SQL / f"{table.name}.sql").read_text())
    with watch(conn, lambda done: steps.running(f"{table.name}: checked", int(done * rows_read))):
        conn.execute(f"CREATE OR REPLACE TEMP TABLE checked AS {query}")
    for column in table.converted:
        _within_total(conn, column)
    columns = ", ".join(table.staging_columns)
    conn.execute(
        f"CREATE OR REPLACE TABLE staging.{table.name} AS "
        f"SELECT {columns} FROM checked WHERE reject IS NULL ORDER BY _line"
    )
    # The row as read becomes JSON for the rejected rows only.
    conn.execute(
        f"INSERT INTO audit.rejects SELECT ?, c._line, c.reject.rule, c.reject.message, {source.raw_json('r')} "
        f"FROM checked AS c JOIN {rows_view} AS r ON r._line = c._line WHERE c.reject IS NOT NULL ORDER BY c._line",
        [table.name],
    )
    loaded, rejected = conn.execute(
        "SELECT count(*) FILTER (reject IS NULL), count(*) FILTER (reject IS NOT NULL) FROM checked"
    ).fetchone()
    conn.execute("DROP TABLE checked")
    result = TableLoad(table.name, source.path.name, rows_read, loaded, rejected)
    conn.execute(
        "INSERT INTO audit.load_summary VALUES (?, ?, ?, ?, ?)",
        [result.source, result.file, result.rows_read, result.rows_loaded, result.rows_rejected],
    )
    steps.done(f"{table.name}: {loaded:,} loaded, {rejected:,} rejected of", rows_read)
    return result


def _require_reporting_rate(conn: duckdb.DuckDBPyConnection, currency: str, fx_file: Path) -> None:
    """A reporting currency other than EUR needs rates: without any, every amount would be
    rejected and the reports would show nothing. Stops the load (rolled back)."""
    if currency == "EUR":
        return
    ((rates,),) = conn.execute("SELECT count(*) FROM staging.fx_rates WHERE currency = ?", [currency]).fetchall()
    if not rates:
        raise PackageError(
            f"{fx_file}: no loaded rate for the reporting currency {currency} "
            "(REPORTING_CURRENCY / --currency); add its rates or report in EUR"
        )


def _within_total(conn: duckdb.DuckDBPyConnection, column: str) -> None:
    """Rule total_out_of_range: the converted amounts of the package (tables in load order,
    rows in line order), in absolute value, may add up to MAX_MONEY; from the row that
    passes it on, rows are rejected. Summed in DECIMAL(38,2), which no package can overflow
    (10^36). A single sum decides whether the window is needed at all."""
    ((total,),) = conn.execute(
        f"SELECT coalesce(sum(abs({column})::DECIMAL(38, 2)), 0) FROM checked WHERE reject IS NULL"
    ).fetchall()
    ((before,),) = conn.execute("SELECT getvariable('money_total')").fetchall()
    if before + total > MAX_MONEY:
        conn.execute(f"""
            UPDATE checked SET {column} = NULL, reject = reject('total_out_of_range',
                'with this row the converted amounts of the package add up to more than '
                || max_money()::VARCHAR || ' ' || getvariable('reporting_currency')
                || ' in absolute value, more than the DECIMAL(18,2) of the sums in the metrics holds')
            FROM (SELECT _line, getvariable('money_total') + sum(abs({column})::DECIMAL(38, 2))
                        OVER (ORDER BY _line ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
                  FROM checked WHERE reject IS NULL) AS r
            WHERE checked._line = r._line AND r.running > max_money()
        """)
        ((total,),) = conn.execute(
            f"SELECT coalesce(sum(abs({column})::DECIMAL(38, 2)), 0) FROM checked WHERE reject IS NULL"
        ).fetchall()
    conn.execute("SET VARIABLE money_total = ?::DECIMAL(38, 2)", [before + total])
