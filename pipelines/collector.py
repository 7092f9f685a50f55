"""Python's cycle collector paused during one large piece of work (a report's render).

A render allocates millions of objects (chart artists, layout boxes, styles) and keeps
most of them until it ends. The collector runs every 700 allocations and, as those
objects survive, walks ever older generations holding them again and again: a quarter
of a report's CPU (docs/reports.md, "Rendering time"). Paused, the objects made during
the work stay in the youngest generation; one pass over that generation at the end frees
the cycles among them, without walking the process's long-lived objects (a full
`gc.collect()` after each report cost more than it saved).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off inside the block; afterwards back as it was, and the
    youngest generation (what the block allocated and kept) collected once."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect(0)
