"""Progress lines: rows, rate and elapsed time, and no more often than asked."""

from pipelines import progress
from pipelines.progress import Progress, rate_line


def test_rate_line_has_rows_rate_and_seconds():
    assert (
        rate_line("load", "transactions", 10_000_000, 12.5)
        == "load: transactions 10,000,000 rows in 12.5 s (800,000 rows/s)"
    )
    assert rate_line("load", "regions", 0, 0.0) == "load: regions 0 rows in 0.0 s"


def test_running_lines_are_throttled_and_phases_restart_the_clock(monkeypatch):
    clock = iter([0.0, 1.0, 6.0, 7.0, 8.0, 8.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    lines = []
    with Progress(lines.append, "metrics", every=5.0) as p:  # started at 0
        p.running("facts", 10)  # t=1: too soon, nothing
        p.running("facts", 600)  # t=6: a line
        p.done("facts", 700)  # t=7: 700 rows in 7 s
    assert lines == [
        "metrics: facts 600 rows in 6.0 s (100 rows/s) so far",
        "metrics: facts 700 rows in 7.0 s (100 rows/s)",
        "metrics: finished in 8.0 s",
    ]
