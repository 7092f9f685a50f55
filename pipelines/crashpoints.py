"""Named points where a test can kill or hold the run (tests/test_crash_safety.py,
tests/production/test_ducklake_warehouse.py).

`PARTNER_REPORTS_CRASH_AT=<point>` makes the process that reaches `<point>` kill itself
with SIGKILL there: no clean-up, no `finally`, exactly like `kill -9` or a power cut at
that moment. `PARTNER_REPORTS_HOLD_AT=<point>=<folder>` makes it write a file named by its
process id into `<folder>` and wait there until `<folder>/go` exists (at most 5 minutes):
a test can then look at the warehouse, start a second run, or kill this one at that point.
Unset (always, outside tests) a point costs two dictionary lookups.
`PARTNER_REPORTS_CRASH_LOG=<file>` appends every point reached, with the time and process id.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

HOLD_LIMIT = 300.0


def reached(point: str) -> None:
    log = os.environ.get("PARTNER_REPORTS_CRASH_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{time.time():.6f} {os.getpid()} {point}\n")
    if os.environ.get("PARTNER_REPORTS_CRASH_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
    hold = os.environ.get("PARTNER_REPORTS_HOLD_AT")
    if hold and hold.partition("=")[0] == point:
        _hold(Path(hold.partition("=")[2]))


def _hold(folder: Path) -> None:
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + HOLD_LIMIT
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
