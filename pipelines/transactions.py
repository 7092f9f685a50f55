"""A writing step's transaction: its own, or the run's.

With the DuckDB file, each writing step (the load, the marts) is one transaction of its
own, and the run's build copy makes the run whole (pipelines/publication.py). With DuckLake
the whole run is one transaction on one connection (pipelines/lake.py): a step's
`transaction(conn)` then commits nothing, and the run commits at its end. A step that
fails rolls back either way, the run's transaction included, so that the step's error
(not "transaction aborted") is what the run reports.

The run's transaction begins at its first `transaction(conn)` block or its first read
(`join_run`: a check's or a report's connection, the metrics' read of staging), not when
the run starts: the load reads the package into temporary tables before its block, and
DuckDB fills temporary tables more slowly inside a transaction (+50 % load time at 1 M
transactions). A writing step that reads the warehouse before its block calls `join_run`
first, so that what it read and what it writes are of one snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

_runs: dict[int, bool] = {}  # id() of a connection that holds a run -> its transaction has begun


def hold_run(conn: duckdb.DuckDBPyConnection) -> None:
    """`conn` holds a run: steps' transactions join one transaction, begun at first use."""
    _runs[id(conn)] = False


def join_run(conn: duckdb.DuckDBPyConnection) -> None:
    """Begin the run's transaction on `conn` if it has not begun yet."""
    if _runs.get(id(conn)) is False:
        conn.execute("BEGIN TRANSACTION")
        _runs[id(conn)] = True


def run_open(conn: duckdb.DuckDBPyConnection) -> bool:
    """`conn` holds a run that no step has rolled back."""
    return id(conn) in _runs


def run_begun(conn: duckdb.DuckDBPyConnection) -> bool:
    """The run's transaction on `conn` has begun (and is open)."""
    return _runs.get(id(conn), False)


def end_run(conn: duckdb.DuckDBPyConnection) -> None:
    """`conn` no longer holds a run (committed, rolled back or closed)."""
    _runs.pop(id(conn), None)


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT around the block (ROLLBACK when it raises), or, on a connection that
    holds a run, the block inside the run's transaction (rolled back when it raises)."""
    in_run = run_open(conn)
    if in_run:
        join_run(conn)
    else:
        conn.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        end_run(conn)
        conn.execute("ROLLBACK")
        raise
    if not in_run:
        conn.execute("COMMIT")
