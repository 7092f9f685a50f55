"""Render reports and write them under REPORTS_DIR: what the Dagster assets call.

Region reports are independent of each other, so they render in a pool of worker
processes (WeasyPrint is CPU-bound and single-threaded): parallel even under the
code location's in-process executor, which runs one step at a time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

from pipelines.reports.data import ReportData
from pipelines.reports.paths import global_report_path, region_report_path, write_atomically
from pipelines.reports.render import RenderedReport, render_global_report, render_region_report


@dataclass
class PublishedReport:
    path: Path
    rendered: RenderedReport

    @property
    def size_bytes(self) -> int:
        return len(self.rendered.pdf)


def publish_global_report(data: ReportData, reports_dir: Path, organisation: str,
                          generated_at: datetime, check_results: list[dict] | None) -> PublishedReport:
    path = global_report_path(reports_dir, data.period)  # validated before any work
    rendered = render_global_report(data, organisation, generated_at, check_results)
    write_atomically(path, rendered.pdf)
    return PublishedReport(path, rendered)


def _publish_region(data: ReportData, code: str, reports_dir: Path, organisation: str,
                    generated_at: datetime) -> PublishedReport:
    path = region_report_path(reports_dir, data.period, code)
    rendered = render_region_report(data, code, organisation, generated_at)
    write_atomically(path, rendered.pdf)
    return PublishedReport(path, rendered)


def publish_region_reports(data: ReportData, reports_dir: Path, organisation: str,
                           generated_at: datetime, workers: int | None = None
                           ) -> dict[str, PublishedReport]:
    codes = [row["region_code"] for row in data.regions]
    for code in codes:  # refuse a hostile code before rendering anything
        region_report_path(reports_dir, data.period, code)
    workers = min(workers or os.cpu_count() or 1, len(codes))
    if workers <= 1:
        return {c: _publish_region(data, c, reports_dir, organisation, generated_at) for c in codes}
    # 'spawn': a clean interpreter per worker, safe inside Dagster's threaded process.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {c: pool.submit(_publish_region, data, c, reports_dir, organisation,
                                  generated_at) for c in codes}
        return {c: futures[c].result() for c in codes}


def first_page_png(pdf_path: Path, dpi: int = 40) -> bytes | None:
    """A small PNG of page 1 (poppler's pdftoppm); None when pdftoppm is not installed."""
    if shutil.which("pdftoppm") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                        str(pdf_path), str(out)], check=True, capture_output=True, timeout=60)
        return out.with_suffix(".png").read_bytes()
