"""Load a partner data package into the warehouse: `staging.*` plus `audit.*`.

The whole load is one DuckDB transaction: a load that fails part-way leaves the
previous warehouse as it was, and loading the same package twice gives the same tables.
Every input row ends up in its staging table or in `audit.rejects`, with the rule it broke.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.crashpoints import reached
from pipelines.ingest.contract import TABLES
from pipelines.ingest.read import (
    Bytes, PackageError, Source, create_src, drop, find_file, inspect, read_into, scan_files, watch,
)
from pipelines.progress import Progress
from pipelines.settings import SQL_DIR

log = logging.getLogger(__name__)

STAGING_SQL = SQL_DIR / "staging"
CURRENCIES_CSV = Path(__file__).with_name("iso4217.csv")

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


def load_package(folder: str | Path, conn: duckdb.DuckDBPyConnection, reporting_currency: str = "EUR",
                 progress: Callable[[str], None] | None = None) -> LoadReport:
    """Read every table of the package at `folder`, validate it and replace the staging
    and audit tables in one transaction. Raises `PackageError` when a file is unusable.
    `progress` receives a line per table and phase (rows, rows/s, elapsed; while a large
    file is read or checked, one every few seconds); by default this module's logger."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PackageError(f"{folder}: the partner data folder does not exist (PARTNER_DATA_DIR)")
    files = [find_file(folder, table) for table in TABLES]
    # Every header is checked, every byte is read once (fingerprint, line counts) and every
    # table is read into a temporary table before the warehouse is touched.
    sources = [inspect(path, table, conn) for path, table in zip(files, TABLES)]
    fingerprint, scans = scan_files(files)
    try:
        with Progress(progress or log.info, "load") as steps:
            rows_read = [_read(conn, source, scans.get(source.path), steps) for source in sources]
            loads = []
            conn.execute("BEGIN TRANSACTION")
            try:
                conn.execute(AUDIT_DDL)
                conn.execute((STAGING_SQL / "_macros.sql").read_text())
                conn.execute("SET VARIABLE reporting_currency = ?", [reporting_currency])
                conn.execute(
                    "CREATE OR REPLACE TEMP TABLE currencies AS SELECT code FROM read_csv(?, all_varchar = true)",
                    [str(CURRENCIES_CSV)],
                )
                for source, rows in zip(sources, rows_read):
                    loads.append(_load_table(conn, source, scans.get(source.path), rows, steps))
                    if source.table.name == "fx_rates":
                        conn.execute((STAGING_SQL / "_fx.sql").read_text())
                    reached(f"load:staged:{source.table.name}")
                conn.execute("INSERT INTO audit.package VALUES (?, ?)", [fingerprint, reporting_currency])
                reached("load:before-commit")
                conn.execute("COMMIT")
                reached("load:committed")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
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


def _load_table(conn: duckdb.DuckDBPyConnection, source: Source, scan: Bytes | None, rows_read: int,
                steps: Progress) -> TableLoad:
    table = source.table
    rows_view = create_src(conn, source, scan)
    query = (STAGING_SQL / f"{table.name}.sql").read_text()
    with watch(conn, lambda done: steps.running(f"{table.name}: checked", int(done * rows_read))):
        conn.execute(f"CREATE OR REPLACE TEMP TABLE checked AS {query}")
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
    conn.execute("INSERT INTO audit.load_summary VALUES (?, ?, ?, ?, ?)",
                 [result.source, result.file, result.rows_read, result.rows_loaded, result.rows_rejected])
    steps.done(f"{table.name}: {loaded:,} loaded, {rejected:,} rejected of", rows_read)
    return result
