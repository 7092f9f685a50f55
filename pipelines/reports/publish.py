"""Render reports and write them under REPORTS_DIR: what the Dagster assets call.

Every report is independent of the others, so they render in a pool of worker processes
(WeasyPrint is CPU-bound and single-threaded), parallel even under the code location's
in-process executor, which runs one step at a time. The pool (`RenderPool`):

- starts its workers from a `forkserver` that has already imported WeasyPrint,
  matplotlib and the templates' code (one start-up of about 1.5 s, in the background;
  each worker is then a fork of it, a few milliseconds) — `spawn` where there is no
  forkserver. The assets' resource starts it when the run starts, so it is warm by the
  time the reports step comes (docs/reports.md, "Rendering time");
- renders only: workers return the PDF bytes and this process writes the files, so a
  worker never writes into REPORTS_DIR, and one that outlives a killed run has nothing
  to write;
- dies with its run: it is context-managed (shut down when the run ends, also on
  failure), and each worker watches the process that started the pool and exits the
  moment it dies, even by `kill -9`; the forkserver then has no client left and exits too,
  and a parent-death signal ends any worker whose forkserver is gone
  (tests/reports/test_report_pool.py, tests/test_crash_safety.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipelines.crashpoints import reached
from pipelines.publication import ReportStage
from pipelines.reports.data import ReportData
from pipelines.reports.parts import read_part
from pipelines.reports.paths import global_report_path, region_report_path, write_atomically
from pipelines.reports.render import RenderedReport, render_global_report, render_region_report
from pipelines.worker_processes import exit_with_parent, pool_context

# What the forkserver imports once, so that every worker forked from it starts warm.
PRELOAD = ["__main__", "pipelines.reports.render"]


@dataclass
class PublishedReport:
    path: Path
    """Where the report is published (in a run: once the run has succeeded)."""
    rendered: RenderedReport
    file: Path | None = None
    """Where its bytes are now: the run's temporary folder until the run is published."""

    @property
    def location(self) -> Path:
        return self.file or self.path

    @property
    def size_bytes(self) -> int:
        return len(self.rendered.pdf)


def _die_with_parent() -> None:
    """Worker initializer: exit when the run's process dies (worker_processes.py), and be
    killed by the kernel when the forkserver goes, even if the watching thread cannot run."""
    _kill_when_forkserver_dies()
    exit_with_parent()


def _kill_when_forkserver_dies() -> None:
    """Linux: SIGKILL this worker when the process that forked it (the forkserver, which
    exits when the run dies) ends, even if the watching thread cannot run."""
    try:
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _ready() -> int:
    return os.getpid()


def _render(
    data: ReportData,
    region_code: str | None,
    organisation: str,
    generated_at: datetime,
    check_results: list[dict] | None,
) -> RenderedReport:
    """In a worker: one report's PDF bytes (the global report when region_code is None)."""
    if region_code is None:
        return render_global_report(data, organisation, generated_at, check_results)
    return render_region_report(data, region_code, organisation, generated_at)


class RenderPool:
    """`with RenderPool() as pool:` worker processes (one per core) that render reports."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=pool_context(PRELOAD), initializer=_die_with_parent
        )
        # start every worker now (in the background): the first report need not wait
        self._started = [self._executor.submit(_ready) for _ in range(self.workers)]

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (tests)."""
        return sorted(self._executor._processes or ())

    def wait_ready(self) -> list[int]:
        """Block until every worker has started (benchmarks, tests; runs need not wait);
        the workers' process ids."""
        return [future.result() for future in self._started]

    def render(
        self,
        data: ReportData,
        region_code: str | None,
        organisation: str,
        generated_at: datetime,
        check_results: list[dict] | None = None,
    ) -> Future:
        return self._executor.submit(_render, data, region_code, organisation, generated_at, check_results)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class RenderBatch:
    """Reports of one period submitted to a pool ahead of the step that writes them (the
    global report's step starts the region reports, so both render at the same time)."""

    data: ReportData
    organisation: str
    generated_at: datetime
    futures: dict[str, Future] = field(default_factory=dict)  # region code -> its render

    def matches(self, data: ReportData, organisation: str) -> bool:
        return self.organisation == organisation and self.data == data


def submit_region_reports(pool: RenderPool, data: ReportData, organisation: str, generated_at: datetime) -> RenderBatch:
    return RenderBatch(
        data,
        organisation,
        generated_at,
        {row["region_code"]: pool.render(data, row["region_code"], organisation, generated_at) for row in data.regions},
    )


def _write(path: Path, rendered: RenderedReport, stage: ReportStage | None) -> PublishedReport:
    """Write a report: into the run's temporary folder (`stage`) if there is one, else in place."""
    file = stage.path(path) if stage is not None else path
    write_atomically(file, rendered.pdf)
    reached(f"reports:written:{path.name}")
    return PublishedReport(path, rendered, file)


def publish_global_report(
    data: ReportData,
    reports_dir: Path,
    organisation: str,
    generated_at: datetime,
    check_results: list[dict] | None,
    pool: RenderPool | None = None,
    meanwhile: Callable[[], None] | None = None,
    stage: ReportStage | None = None,
) -> PublishedReport:
    """Render (in `pool` if given) and write the global report; `meanwhile()` is called
    once the render is under way (the asset submits the region reports then). With a
    `stage`, the file goes into the run's temporary folder (published with the run)."""
    path = global_report_path(reports_dir, data.period)  # validated before any work
    if pool is None:
        if meanwhile:
            meanwhile()
        rendered = render_global_report(data, organisation, generated_at, check_results)
    else:
        future = pool.render(data, None, organisation, generated_at, check_results)
        if meanwhile:
            meanwhile()
        reached("reports:rendering")
        rendered = future.result()
    return _write(path, rendered, stage)


def publish_region_reports(
    data: ReportData,
    reports_dir: Path,
    organisation: str,
    generated_at: datetime,
    workers: int | None = None,
    pool: RenderPool | None = None,
    batch: RenderBatch | None = None,
    on_written: Callable[[str, PublishedReport], None] | None = None,
    stage: ReportStage | None = None,
) -> dict[str, PublishedReport]:
    """Every region's PDF: from `batch` when it was submitted for the same data, else
    rendered in `pool`, else in a pool of `workers` started here (one per core), or in
    this process when there is one region or one worker. Files are written here, in
    region order, each as soon as it is rendered; `on_written(code, report)` after each."""
    codes = [row["region_code"] for row in data.regions]
    paths = {
        code: region_report_path(reports_dir, data.period, code)  # refuse a hostile code first
        for code in codes
    }
    if batch is not None and batch.matches(data, organisation) and set(batch.futures) == set(codes):
        return _write_all(paths, {c: batch.futures[c].result for c in codes}, on_written, stage)
    if pool is not None:
        futures = {c: pool.render(data, c, organisation, generated_at) for c in codes}
        return _write_all(paths, {c: futures[c].result for c in codes}, on_written, stage)
    workers = min(workers or os.cpu_count() or 1, len(codes))
    if workers <= 1:
        return _write_all(
            paths,
            {c: (lambda c=c: render_region_report(data, c, organisation, generated_at)) for c in codes},
            on_written,
            stage,
        )
    with RenderPool(workers) as own:
        futures = {c: own.render(data, c, organisation, generated_at) for c in codes}
        return _write_all(paths, {c: futures[c].result for c in codes}, on_written, stage)


def publish_region_parts(
    data: ReportData,
    reports_dir: Path,
    parts: dict[str, Path],
    on_written: Callable[[str, PublishedReport], None] | None = None,
    stage: ReportStage | None = None,
) -> dict[str, PublishedReport]:
    """The region reports of a complete set of parts (pipelines/reports/parts.py), written
    like rendered ones: into the run's temporary folder when there is one."""
    paths = {code: region_report_path(reports_dir, data.period, code) for code in parts}
    return _write_all(paths, {c: (lambda p=p: read_part(p)) for c, p in parts.items()}, on_written, stage)


def _write_all(
    paths: dict[str, Path],
    results: dict[str, Callable[[], RenderedReport]],
    on_written: Callable[[str, PublishedReport], None] | None,
    stage: ReportStage | None,
) -> dict[str, PublishedReport]:
    published = {}
    for code, result in results.items():
        published[code] = _write(paths[code], result(), stage)
        if on_written:
            on_written(code, published[code])
    return published


def first_page_png(pdf_path: Path, dpi: int = 40) -> bytes | None:
    """A small PNG of page 1 (poppler's pdftoppm); None when pdftoppm is not installed."""
    if shutil.which("pdftoppm") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf_path), str(out)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return out.with_suffix(".png").read_bytes()
