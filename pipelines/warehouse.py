"""The one place that opens the warehouse: the DuckDB file (WAREHOUSE_PATH) or, when
WAREHOUSE_CATALOG is set, DuckLake (pipelines/lake.py; docs/production.md, "Warehouse modes").

DuckDB allows one writing process and no readers beside it, so every connection to the
file is short-lived: open, work, CHECKPOINT (writers), close. Inside a Dagster run the
`WarehouseResource` also holds the run lock (pipelines/runlock.py) from the run's first
step to its last, and points writers at the run's build copy of the warehouse, which is
published as a whole when the run succeeds (pipelines/publication.py). With DuckLake the
run works on one connection in one transaction, committed at its end (lake.LakePublication);
the run lock then guards only this machine's working folder (the folder of WAREHOUSE_PATH:
spill files, imported packages) and the reports folder.

Every connection gets the memory limit and spill directory of `DuckDBSettings`
(DUCKDB_MEMORY_LIMIT, DUCKDB_TEMP_DIRECTORY, DUCKDB_MAX_TEMP_DIRECTORY_SIZE): a package
larger than memory spills to disk instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import (
    ConfigurableResource,
    DagsterEventType,
    DagsterRunStatus,
    InitResourceContext,
    TableColumn,
    TableSchema,
)
from pydantic import PrivateAttr

from pipelines import lake as ducklake
from pipelines import publication, runlock
from pipelines.output_checks import check_warehouse
from pipelines.publication import Publication
from pipelines.settings import DuckDBSettings, LakeSettings, RunSettings


@contextmanager
def connect(
    path: str | Path,
    read_only: bool = False,
    settings: DuckDBSettings | None = None,
    published: str | Path | None = None,
    lake: LakeSettings | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse at `path` (with `lake`: to DuckLake; `path` then only
    names the default spill folder), with `settings` (default: from the environment)
    applied. `published`: the warehouse that `path` is a build copy of (its name gives the
    default spill folder)."""
    path = Path(path)
    settings = settings or DuckDBSettings.from_env()
    if lake is not None:
        conn = open_lake(lake, read_only, settings, path)
    else:
        if read_only and not path.exists():
            raise FileNotFoundError(f"warehouse {path} does not exist yet: load a package first")
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(str(path), read_only=read_only)
    try:
        if lake is None:
            configure(conn, settings, Path(published or path))
        yield conn
        if not read_only and lake is None:
            conn.execute("CHECKPOINT")
    finally:
        conn.close()


def open_lake(
    lake: LakeSettings, read_only: bool, settings: DuckDBSettings, local: str | Path
) -> duckdb.DuckDBPyConnection:
    """A configured connection with the DuckLake warehouse attached and in use; spill files
    go beside `local` (WAREHOUSE_PATH) unless DUCKDB_TEMP_DIRECTORY says otherwise."""
    conn = ducklake.new_connection()
    try:
        configure(conn, settings, Path(local))
        ducklake.attach(conn, lake, read_only=read_only)
    except BaseException:
        conn.close()
        raise
    return conn


def configure(conn: duckdb.DuckDBPyConnection, settings: DuckDBSettings, warehouse: Path) -> None:
    """Memory limit and spill directory (DuckDB creates it only when it spills)."""
    temp = settings.temp_directory or warehouse.with_name(warehouse.name + ".tmp")
    conn.execute(f"SET memory_limit = '{settings.memory_limit}'")
    conn.execute(f"SET temp_directory = '{_quoted(str(temp))}'")
    if settings.max_temp_directory_size:
        conn.execute(f"SET max_temp_directory_size = '{settings.max_temp_directory_size}'")


def _quoted(text: str) -> str:
    return text.replace("'", "''")


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file (WAREHOUSE_PATH), or DuckLake when `catalog` is set
    (WAREHOUSE_CATALOG, WAREHOUSE_DATA_PATH; `path` then names this machine's working file).

    In a run: checks the paths (output_checks), takes the run lock, and publishes the run's
    build (commits its transaction) at the end if every step succeeded (pipelines/publication.py)."""

    path: str
    catalog: str = ""
    data_path: str = ""
    _publication: Publication | None = PrivateAttr(default=None)

    @property
    def lake(self) -> LakeSettings | None:
        return LakeSettings(self.catalog, Path(self.data_path)) if self.catalog else None

    def setup_for_execution(self, context: InitResourceContext) -> None:
        run = RunSettings.from_env()
        check_warehouse(Path(self.path), run.min_free_space)
        lake = self.lake
        if lake is not None:
            ducklake.check_lake(lake, run.min_free_space)
        say = context.log.info if context.log else None
        runlock.acquire(self.path, context.run_id, run.lock_timeout, say=say)
        try:
            if lake is None:
                self._publication = Publication(self.path, context.run_id, say).begin()
            else:
                conn = open_lake(lake, False, DuckDBSettings.from_env(), self.path)
                self._publication = ducklake.LakePublication(self.path, context.run_id, say, conn).begin()
        except BaseException:
            runlock.release(self.path)
            raise
        publication.set_current(self._publication)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        current, self._publication = self._publication, None
        try:
            if current is not None:
                try:
                    current.finish(run_succeeded(context))
                except Exception as err:  # the run's steps are done: say why nothing changed
                    current.outcome = f"{err}"
                    if context.log:
                        context.log.error(f"Not published: {err}")
        finally:
            publication.set_current(None)
            runlock.release(self.path)

    @property
    def publication(self) -> Publication | None:
        return self._publication

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if isinstance(self._publication, ducklake.LakePublication):
            yield self._publication.connection(read_only)  # the run's, in its transaction
            return
        path = self.path
        if self._publication is not None:
            path = self._publication.readable() if read_only else self._publication.writable()
        with connect(path, read_only=read_only, published=self.path, lake=self.lake) as conn:
            yield conn


def run_succeeded(context: InitResourceContext) -> bool:
    """No step of the run failed (a failed blocking check fails its step) and it was not
    cancelled: asked of the run's event log as the run's resources are torn down."""
    instance, run_id = context.instance, context.run_id
    if instance is None or run_id is None:
        return False
    failures = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_FAILURE, limit=1).records
    if failures:
        return False
    run = instance.get_run_by_id(run_id)
    return run is None or run.status not in (
        DagsterRunStatus.CANCELING,
        DagsterRunStatus.CANCELED,
        DagsterRunStatus.FAILURE,
    )


def table_schema(
    conn: duckdb.DuckDBPyConnection, table: str, descriptions: dict[str, str] | None = None
) -> TableSchema:
    """A table's columns and DuckDB types (and descriptions, where given) for the
    `dagster/column_schema` metadata."""
    return _schema(conn.execute(f"DESCRIBE {table}").fetchall(), descriptions or {})


def _schema(describe_rows: list[tuple], descriptions: dict[str, str]) -> TableSchema:
    # Built outside the frame that holds the connection: the first TableColumn built keeps a
    # copy of its caller's locals (dagster_shared.check.builder), and a connection kept that
    # way made DuckDB's bindings print dozens of "leaked" lines when the CLI exited.
    return TableSchema(
        columns=[TableColumn(name=r[0], type=r[1], description=descriptions.get(r[0])) for r in describe_rows]
    )
