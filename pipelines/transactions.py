"""A writing step's transaction: its own, or the run's.

With the DuckDB file, each writing step (the load, the marts) is one transaction of its
own, and the run's build copy makes the run whole (pipelines/publication.py). With DuckLake
the whole run is one transaction on one connection (pipelines/lake.py): a step's
`transaction(conn)` then opens and commits nothing, and the run commits at its end. A step
that fails rolls back either way, the run's transaction included, so that the step's error
(not "transaction aborted") is what the run reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

_run_wide: set[int] = set()  # id() of the connections that hold a run's open transaction


def begin_run(conn: duckdb.DuckDBPyConnection) -> None:
    """Open the run's transaction on `conn`; steps' transactions join it."""
    conn.execute("BEGIN TRANSACTION")
    _run_wide.add(id(conn))


def run_open(conn: duckdb.DuckDBPyConnection) -> bool:
    """The run's transaction on `conn` is open (no step has rolled it back)."""
    return id(conn) in _run_wide


def end_run(conn: duckdb.DuckDBPyConnection) -> None:
    """`conn` no longer holds a run's transaction (committed, rolled back or closed)."""
    _run_wide.discard(id(conn))


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT around the block (ROLLBACK when it raises), or, on a connection that
    holds a run's transaction, the block inside it (rolled back when it raises)."""
    run_wide = run_open(conn)
    if not run_wide:
        conn.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        end_run(conn)
        conn.execute("ROLLBACK")
        raise
    if not run_wide:
        conn.execute("COMMIT")
