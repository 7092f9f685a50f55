"""Progress lines for long steps: what is being done, rows done, rows/s and elapsed time.

Steps log these through `context.log.info` (or any logger): the CLI prints a step's own
INFO lines (with and without --verbose) and the Dagster UI keeps them in the run log.
A line is written when a phase ends, and while it runs at most every `every` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


def rate_line(step: str, what: str, rows: int, seconds: float) -> str:
    """'load: transactions 10,000,000 rows in 12.3 s (813,008 rows/s)'."""
    speed = f" ({rows / seconds:,.0f} rows/s)" if seconds > 0 and rows else ""
    return f"{step}: {what} {rows:,} rows in {seconds:.1f} s{speed}"


class Progress:
    """`with Progress(log.info, "load") as p: ... p.done("transactions", rows)`."""

    def __init__(self, emit: Callable[[str], None] | logging.Logger, step: str, every: float = 5.0):
        self.emit = emit.info if isinstance(emit, logging.Logger) else emit
        self.step, self.every = step, every
        self.started = self.phase_started = self.last = time.monotonic()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.emit(f"{self.step}: finished in {time.monotonic() - self.started:.1f} s")

    def running(self, what: str, rows: int) -> None:
        """Call as often as you like while a phase runs; a line at most every `every` s."""
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.emit(rate_line(self.step, what, rows, now - self.phase_started) + " so far")

    def done(self, what: str, rows: int) -> None:
        """A phase ended: one line with its rows and rate; the next phase starts now."""
        now = time.monotonic()
        self.emit(rate_line(self.step, what, rows, now - self.phase_started))
        self.phase_started = self.last = now
