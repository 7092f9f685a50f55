"""Named points where a test can kill the run (tests/test_crash_safety.py).

`PARTNER_REPORTS_CRASH_AT=<point>` makes the process that reaches `<point>` kill itself
with SIGKILL there: no clean-up, no `finally`, exactly like `kill -9` or a power cut at
that moment. Unset (always, outside tests) a point costs one dictionary lookup.
`PARTNER_REPORTS_CRASH_LOG=<file>` appends every point reached, with the time and process id.
"""

from __future__ import annotations

import os
import signal
import time


def reached(point: str) -> None:
    log = os.environ.get("PARTNER_REPORTS_CRASH_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{time.time():.6f} {os.getpid()} {point}\n")
    if os.environ.get("PARTNER_REPORTS_CRASH_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
