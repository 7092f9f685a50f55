"""Python's cycle collector paused during one large piece of work: a report's render, an
IATI file's reading and mapping.

Both allocate millions of objects and keep many of them until the work ends (chart
artists, layout boxes and styles; a file's element trees). The collector runs every 700
allocations and, as those objects survive, walks ever older generations holding them
again and again: a quarter of a report's CPU, a fifth of an import worker's
(docs/reports.md "Rendering time", docs/importers.md "Third round"). Element trees hold no
cycles, and the mapping makes none per activity. Paused, the objects made during the work
stay in the youngest generation; one pass over that generation at the end frees the
cycles among them, without walking the process's long-lived objects (a full
`gc.collect()` after each report cost more than it saved).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(collect_young: bool = True) -> Iterator[None]:
    """The cycle collector off inside the block; afterwards back as it was and, with
    `collect_young`, the youngest generation (what the block allocated) collected once.
    The importer leaves that pass out: its files leave no cycles behind, and the pass
    after each of hundreds of small files cost a tenth of an import's time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        if collect_young:
            gc.collect(0)
