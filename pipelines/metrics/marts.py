"""Read the staging tables into Polars; write the marts back to DuckDB in one transaction."""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.crashpoints import reached
from pipelines.metrics.compute import Marts
from pipelines.metrics.facts import COLUMNS
from pipelines.metrics.insight import InsightMarts
from pipelines.metrics.settings import MetricSettings
from pipelines.schema import FINGERPRINT, MARTS, computed_schema
from pipelines.transactions import join_run, transaction

# Published table -> its DuckDB column types, in order (pipelines/schema/marts.yml). Every
# mart ends with the fingerprint of the package it was built from (audit.package): a reader,
# and the run's publication (pipelines/publication.py), can tell that staging and marts
# belong together.
MART_TYPES: dict[str, dict[str, str]] = {table.name: table.duckdb_types() for table in MARTS}


# The facts that DuckDB compacts as it reads them, losslessly for every metric (facts.py):
# a day's transactions of one agreement and type summed into one row (likewise expenditures
# per region and day), and one interaction row per partner, region and day. The metrics
# themselves are all computed by Polars (compute.py), which compacts raw frames the same way.
COMPACTED = {
    "transactions": "SELECT agreement_id, transaction_date, transaction_type, "
    "CAST(sum(amount_eur) AS DECIMAL(18,2)) AS amount_eur FROM staging.transactions "
    "WHERE transaction_type IN ('income', 'in_kind') GROUP BY ALL",
    "expenditures": "SELECT region_code, expenditure_date, CAST(sum(amount_eur) AS DECIMAL(18,2)) AS amount_eur "
    "FROM staging.expenditures GROUP BY ALL",
    "interactions": "SELECT DISTINCT partner_id, region_code, interaction_date FROM staging.interactions",
}


def read_staging_frames(conn: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """The staging tables the metrics read, as Polars frames: only the columns they use, and
    transactions, expenditures and interactions compacted per day (COMPACTED). With
    DuckLake, read inside the run's transaction, the one the marts are committed in
    (pipelines/transactions.py)."""
    join_run(conn)
    frames = {}
    for name, columns in COLUMNS.items():
        query = COMPACTED.get(name) or f"SELECT {', '.join(columns)} FROM staging.{name}"
        frames[name] = conn.sql(query).pl()
    return frames


def staged_rows(conn: duckdb.DuckDBPyConnection) -> int:
    """Rows of the staging tables the metrics read (before compaction)."""
    counts = " + ".join(f"(SELECT count(*) FROM staging.{name})" for name in COLUMNS)
    return conn.execute(f"SELECT {counts}").fetchone()[0]


def staged_fingerprint(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the loaded package (audit.package), None without one."""
    exists = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'audit' AND table_name = 'package'"
    ).fetchone()[0]
    row = conn.execute("SELECT fingerprint FROM audit.package").fetchone() if exists else None
    return row[0] if row else None


def write_marts(
    conn: duckdb.DuckDBPyConnection,
    marts: Marts,
    settings: MetricSettings,
    insight: InsightMarts | None = None,
    fingerprint: str | None = None,
) -> None:
    """Replace every mart table in one transaction: readers see all old or all new tables.
    `insight` (trends, changes, cash projection) is written in the same transaction when given.
    Every row carries `fingerprint` (default: the loaded package's, audit.package)."""
    fingerprint = fingerprint or staged_fingerprint(conn)
    frames = {
        "region_sustainability": marts.sustainability,
        "region_support_mix": marts.support_mix,
        "region_partner_support": marts.partner_support,
        "region_expiring_commitments": marts.expiring_commitments,
        "metric_settings": pl.DataFrame(settings.rows(), schema=["name", "value"], orient="row"),
    }
    if insight is not None:
        frames |= {
            "region_trends": insight.trends,
            "region_changes": insight.changes,
            "region_cash_projection": insight.cash_projection,
        }
    with transaction(conn):  # the run's, with DuckLake (pipelines/transactions.py)
        conn.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for table, frame in frames.items():
            if frame.columns != list(computed_schema(table)):  # what compute.py publishes, so never in a run
                raise ValueError(
                    f"marts.{table}: the frame's columns {frame.columns} are not the declared ones "
                    "(pipelines/schema/marts.yml)"
                )
            columns = ", ".join(
                f'CAST("{c}" AS {t}) AS "{c}"' if c != FINGERPRINT.name else f'CAST(? AS VARCHAR) AS "{c}"'
                for c, t in MART_TYPES[table].items()
            )
            conn.register("mart_frame", frame)
            conn.execute(f"CREATE OR REPLACE TABLE marts.{table} AS SELECT {columns} FROM mart_frame", [fingerprint])
            conn.unregister("mart_frame")
            reached(f"marts:written:{table}")
        reached("marts:before-commit")
