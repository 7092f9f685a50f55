"""The DuckLake warehouse: a PostgreSQL catalog (WAREHOUSE_CATALOG) and Parquet data files
in a shared folder (WAREHOUSE_DATA_PATH), for several writers on several machines
(docs/production.md, "Warehouse modes").

- **Connecting.** An in-memory DuckDB loads the `ducklake` and `postgres` extensions from
  the `duckdb-ext-*` packages (nothing is downloaded at run time), attaches the lake as
  `lake` and makes it the default database, so the project's SQL (`staging.x`, `marts.y`)
  runs unchanged.
- **A run is one transaction** (`LakePublication`). Every step of a run works on the run's
  one connection; its checks and reports read the run's own, uncommitted tables. At the
  run's end the package fingerprints are checked (as for the file) and the transaction
  commits: one snapshot in the catalog. A failed step, a failed blocking check or a kill
  commits nothing; readers see the previous snapshot, whole. (Parquet files a dead run had
  written stay in the folder, unreferenced: `ducklake_delete_orphaned_files` removes them.)
- **Two runs at once** each work on the snapshot they started from. The first to commit
  wins; the later one replaced the same tables, DuckLake detects the conflict at its commit
  and the run fails with one line (NotPublished): the warehouse holds one package, whole.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb

from pipelines.crashpoints import reached
from pipelines.output_checks import check_data_path
from pipelines.publication import NotPublished, Publication, consistent_fingerprint
from pipelines.settings import LakeSettings, SettingsError
from pipelines.transactions import end_run, hold_run, join_run, run_begun, run_open

ALIAS = "lake"
CONFLICT = "Transaction conflict"  # how DuckLake starts the message of a conflicting commit


def extension_directory() -> str:
    """Where the `duckdb-ext-ducklake` and `duckdb-ext-postgres` packages put their extensions."""
    try:
        import duckdb_ext
    except ImportError:
        raise SettingsError(
            "WAREHOUSE_CATALOG needs the DuckDB extensions of the packages duckdb-ext-ducklake "
            "and duckdb-ext-postgres (requirements.lock): install them"
        ) from None
    return str(Path(next(iter(duckdb_ext.__path__))) / "extensions")


def new_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the ducklake and postgres extensions loaded."""
    conn = duckdb.connect(config={"extension_directory": extension_directory(), "autoinstall_known_extensions": False})
    try:
        conn.execute("LOAD ducklake; LOAD postgres")
    except Exception:
        conn.close()
        raise
    return conn


def attach(conn: duckdb.DuckDBPyConnection, lake: LakeSettings, read_only: bool = False) -> None:
    """Attach the lake as `lake` (created in the catalog database on first use) and use it."""
    options = [f"DATA_PATH '{_quoted(str(lake.data_path))}'"] + (["READ_ONLY"] if read_only else [])
    for attempt in range(3):
        try:
            conn.execute(f"ATTACH 'ducklake:postgres:{_quoted(lake.catalog)}' AS {ALIAS} ({', '.join(options)})")
            break
        except duckdb.Error as err:
            # two runs that start on an empty catalog both create DuckLake's tables: the
            # one that loses the race finds them made a moment later
            if "Failed to initialize DuckLake" not in str(err) or attempt == 2:
                raise
            time.sleep(0.5)
    conn.execute(f"USE {ALIAS}")


def check_lake(lake: LakeSettings, min_free: int) -> None:
    """Before a run writes anything: the data folder can be written and the catalog's
    PostgreSQL answers. Raises SettingsError or OutputError with one line."""
    check_data_path(lake.data_path, min_free)
    conn = new_connection()
    try:
        conn.execute(f"ATTACH '{_quoted(lake.catalog)}' AS catalog_check (TYPE postgres, READ_ONLY)")
        conn.execute("SELECT count(*) FROM postgres_query('catalog_check', 'SELECT 1')").fetchone()
    except duckdb.Error as err:
        raise SettingsError(
            f"WAREHOUSE_CATALOG {lake.catalog!r}: cannot connect to PostgreSQL: {reason(err)}"
        ) from None
    finally:
        conn.close()


def reason(err: Exception) -> str:
    """The useful part of a DuckDB/libpq error, on one line."""
    text = " ".join(str(err).split())
    text = re.sub(r"^[A-Za-z ]+ Error: | Is the server running on that host.*$", "", text)
    return text.rpartition(" failed: ")[2].strip()


def _quoted(text: str) -> str:
    return text.replace("'", "''")


class LakePublication(Publication):
    """A run on the DuckLake warehouse: one connection, one transaction, committed at the
    run's end if every step succeeded (with the report folders, as for the file)."""

    def __init__(self, warehouse: str | Path, run_id: str, log, conn: duckdb.DuckDBPyConnection):
        super().__init__(warehouse, run_id, log)
        self.conn = conn
        self.wrote = False

    def begin(self) -> LakePublication:
        hold_run(self.conn)
        return self

    def connection(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """The run's connection: a reader's inside the run's transaction; a writer's joins
        it at its `transaction()` block (pipelines/transactions.py)."""
        if not run_open(self.conn):
            raise NotPublished(
                "an earlier step of this run failed and rolled its transaction back; "
                "nothing of this run will be published"
            )
        if read_only:
            join_run(self.conn)
        self.wrote = self.wrote or not read_only
        return self.conn

    def _publish_warehouse(self) -> str | None:
        if not run_open(self.conn):
            raise NotPublished("a step of this run rolled its transaction back: nothing was published")
        if not run_begun(self.conn):
            return None  # the run neither read nor wrote the warehouse
        fingerprint = consistent_fingerprint(self.conn) if self.wrote else None
        if fingerprint:
            self.conn.execute(
                f"CALL {ALIAS}.set_commit_message('partner-reports', ?)", [f"run {self.run_id}: package {fingerprint}"]
            )
        reached("publish:before-commit")
        try:
            self.conn.execute("COMMIT")
        except duckdb.Error as err:
            text = reason(err)
            if CONFLICT in text:
                raise NotPublished(
                    "another run committed to the DuckLake warehouse while this run worked "
                    f"({text[text.index(CONFLICT) :]}): nothing of this run was published, the "
                    "warehouse holds the other run's package whole; run this one again to load "
                    "its package"
                ) from None
            raise NotPublished(
                f"the commit to the DuckLake catalog failed: {text}; nothing of this run was published"
            ) from None
        finally:
            end_run(self.conn)
        reached("publish:after-commit")
        return fingerprint

    def _discard_build(self) -> None:
        try:
            begun = run_begun(self.conn)
            end_run(self.conn)
            if begun:
                self.conn.execute("ROLLBACK")
        finally:
            self.conn.close()
