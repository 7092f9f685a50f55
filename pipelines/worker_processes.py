"""Worker processes for CPU-bound work (report rendering, IATI import): how they start and
how they end with the process that started them.

Workers come from a `forkserver` that has already imported the given modules (`spawn`
where there is no forkserver). A forkserver's workers are its children, not the run's,
and hold the pipes that would tell them the run is gone, so neither a parent-death
signal nor end-of-file reaches them: `exit_with_parent`, as a pool's initializer, starts
a thread that waits on the multiprocessing sentinel of the starting process instead and
ends the worker the moment it dies, even by SIGKILL (no clean-up runs there).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext


def pool_context(preload: list[str]) -> BaseContext:
    """A forkserver context that preloads `preload`, else spawn."""
    if "forkserver" not in get_all_start_methods():
        return get_context("spawn")
    context = get_context("forkserver")
    context.set_forkserver_preload(preload)  # no effect if a forkserver already runs
    return context


def exit_with_parent() -> None:
    """Pool initializer: end this worker as soon as the process that started the pool dies."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
