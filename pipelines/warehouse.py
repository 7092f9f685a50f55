"""The one place that opens the DuckDB warehouse.

DuckDB allows one writing process and no readers beside it, so every connection is
short-lived: open, work, CHECKPOINT (writers), close. Writers are serialised by the
Dagster executor/pool configuration; this module only makes each session tidy.

Every connection gets the memory limit and spill directory of `DuckDBSettings`
(DUCKDB_MEMORY_LIMIT, DUCKDB_TEMP_DIRECTORY, DUCKDB_MAX_TEMP_DIRECTORY_SIZE): a package
larger than memory spills to disk instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, TableColumn, TableSchema

from pipelines.settings import DuckDBSettings


@contextmanager
def connect(path: str | Path, read_only: bool = False,
            settings: DuckDBSettings | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse at `path`, with `settings` (default: from the
    environment) applied."""
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist yet: load a package first")
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = settings or DuckDBSettings.from_env()
    conn = duckdb.connect(str(path), read_only=read_only)
    try:
        configure(conn, settings, path)
        yield conn
        if not read_only:
            conn.execute("CHECKPOINT")
    finally:
        conn.close()


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
    """The DuckDB warehouse file (WAREHOUSE_PATH)."""

    path: str

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.path, read_only=read_only) as conn:
            yield conn


def table_schema(conn: duckdb.DuckDBPyConnection, table: str, descriptions: dict[str, str] | None = None) -> TableSchema:
    """A table's columns and DuckDB types (and descriptions, where given) for the
    `dagster/column_schema` metadata."""
    return _schema(conn.execute(f"DESCRIBE {table}").fetchall(), descriptions or {})


def _schema(describe_rows: list[tuple], descriptions: dict[str, str]) -> TableSchema:
    # Built outside the frame that holds the connection: the first TableColumn built keeps a
    # copy of its caller's locals (dagster_shared.check.builder), and a connection kept that
    # way made DuckDB's bindings print dozens of "leaked" lines when the CLI exited.
    return TableSchema(columns=[TableColumn(name=r[0], type=r[1], description=descriptions.get(r[0]))
                                for r in describe_rows])
