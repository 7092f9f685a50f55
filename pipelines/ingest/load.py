"""Load a partner data package into the warehouse: `staging.*` plus `audit.*`.

The whole load is one DuckDB transaction: a load that fails part-way leaves the
previous warehouse as it was, and loading the same package twice gives the same tables.
Every input row ends up in its staging table or in `audit.rejects`, with the rule it broke.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingest.contract import TABLES, Table
from pipelines.ingest.read import PackageError, find_file, package_fingerprint, read_table
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


def load_package(folder: str | Path, conn: duckdb.DuckDBPyConnection, reporting_currency: str = "EUR") -> LoadReport:
    """Read every table of the package at `folder`, validate it and replace the staging
    and audit tables in one transaction. Raises `PackageError` when a file is unusable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PackageError(f"{folder}: the partner data folder does not exist (PARTNER_DATA_DIR)")
    files = {table.name: find_file(folder, table) for table in TABLES}
    # Read everything before touching the warehouse, so a bad file changes nothing.
    frames = {}
    for table in TABLES:
        log.info("reading %s", files[table.name])
        frames[table.name] = read_table(files[table.name], table)
    fingerprint = package_fingerprint([files[t.name] for t in TABLES])

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
        for table in TABLES:
            loads.append(_load_table(conn, table, frames.pop(table.name), files[table.name]))
            log.info("%s: %d loaded, %d rejected", table.name, loads[-1].rows_loaded, loads[-1].rows_rejected)
            if table.name == "fx_rates":
                conn.execute((STAGING_SQL / "_fx.sql").read_text())
        conn.execute("INSERT INTO audit.package VALUES (?, ?)", [fingerprint, reporting_currency])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        conn.unregister("src")  # the frame view outlives the transaction
        raise
    return LoadReport(fingerprint, reporting_currency, tuple(loads))


def _load_table(conn: duckdb.DuckDBPyConnection, table: Table, frame, path: Path) -> TableLoad:
    conn.register("src", frame)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE checked AS {(STAGING_SQL / f'{table.name}.sql').read_text()}")
    conn.unregister("src")
    columns = ", ".join(table.staging_columns)
    conn.execute(
        f"CREATE OR REPLACE TABLE staging.{table.name} AS "
        f"SELECT {columns} FROM checked WHERE reject IS NULL ORDER BY _line"
    )
    conn.execute(
        "INSERT INTO audit.rejects SELECT ?, _line, reject.rule, reject.message, _raw "
        "FROM checked WHERE reject IS NOT NULL ORDER BY _line",
        [table.name],
    )
    loaded, rejected = conn.execute(
        "SELECT count(*) FILTER (reject IS NULL), count(*) FILTER (reject IS NOT NULL) FROM checked"
    ).fetchone()
    conn.execute("DROP TABLE checked")
    result = TableLoad(table.name, path.name, frame.height, loaded, rejected)
    conn.execute("INSERT INTO audit.load_summary VALUES (?, ?, ?, ?, ?)",
                 [result.source, result.file, result.rows_read, result.rows_loaded, result.rows_rejected])
    return result
