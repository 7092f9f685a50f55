"""One run at a time on a warehouse, from its first step to its last.

A run holds an exclusive `flock` on `<WAREHOUSE_PATH>.lock` (the file stays; the lock is on
the open file and ends with the process, also on `kill -9`). The file holds who has it:
process id, run id, start time, command. A second run — from the daemon, the UI or
`partner-reports run` — waits for it with a message naming the holder, and gives up
after WAREHOUSE_LOCK_TIMEOUT seconds with one line.

The lock is re-entrant within a process: `partner-reports run` takes it before Dagster
starts (so it waits before any work), and the warehouse resource of the run it starts
takes it again.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path


class WarehouseBusy(Exception):
    """Another run holds the warehouse; the message names it."""


_held: dict[str, list[int]] = {}  # lock file -> [fd, depth]
_guard = threading.Lock()


def lock_path(warehouse: str | Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".lock")


def holder(warehouse: str | Path) -> str:
    """Who holds (or last held) the lock, as written in the lock file."""
    try:
        text = lock_path(warehouse).read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "another process"


def acquire(
    warehouse: str | Path, run_id: str, timeout: float, say: Callable[[str], None] | None = None, poll: float = 0.2
) -> None:
    """Take the run lock of `warehouse`, waiting up to `timeout` seconds (saying so once
    through `say`); raises WarehouseBusy naming the holder when it cannot."""
    path = lock_path(warehouse)
    key = str(path.resolve())
    with _guard:
        if key in _held:
            _held[key][1] += 1
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        if not _try(fd):
            who = holder(warehouse)
            if timeout <= 0:
                raise WarehouseBusy(f"warehouse {warehouse} is in use by {who}; not waiting (WAREHOUSE_LOCK_TIMEOUT=0)")
            (say or _stderr)(
                f"Waiting for the run that holds warehouse {warehouse} to finish: {who} "
                f"(up to {timeout:g} s, WAREHOUSE_LOCK_TIMEOUT)"
            )
            deadline = time.monotonic() + timeout
            while not _try(fd):
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"warehouse {warehouse} is in use by {holder(warehouse)}; "
                        f"gave up after {timeout:g} s (WAREHOUSE_LOCK_TIMEOUT)"
                    )
                time.sleep(poll)
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv[:3])) or "python"
        text = f"pid {os.getpid()} (run {run_id}, started {started}, {command})\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    with _guard:
        _held[key] = [fd, 1]


def release(warehouse: str | Path) -> None:
    key = str(lock_path(warehouse).resolve())
    with _guard:
        entry = _held.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _held[key]
    os.close(entry[0])  # the lock ends with the last descriptor of the open file


def held(warehouse: str | Path) -> bool:
    """Whether this process holds the run lock of `warehouse`."""
    return str(lock_path(warehouse).resolve()) in _held


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
