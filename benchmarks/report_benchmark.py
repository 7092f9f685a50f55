"""How long the reports take to render: per report and per page.

    .venv/bin/python benchmarks/report_benchmark.py [--warehouse FILE] [--period 2025]

Uses the warehouse at WAREHOUSE_PATH (after `make run`), or with --fixture the small
hand-filled warehouse of tests/reports. Renders in memory (nothing is written) one
report at a time, then all region reports again through the worker pool the asset uses.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from pipelines.reports.data import default_period, load_report_data
from pipelines.reports.publish import publish_region_reports
from pipelines.reports.render import render_global_report, render_region_report
from pipelines.settings import PROJECT_ROOT, Settings
from pipelines.warehouse import connect

ORGANISATION = "Benchmark"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--fixture", action="store_true", help="use the test fixture warehouse")
    parser.add_argument("--period", default=None)
    args = parser.parse_args()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # font-subsetting notices

    tmp = tempfile.TemporaryDirectory()
    if args.fixture:
        sys.path.insert(0, str(PROJECT_ROOT / "tests" / "reports"))
        from report_warehouse_fixture import build_fixture_warehouse
        warehouse = build_fixture_warehouse(Path(tmp.name) / "fixture.duckdb")
    else:
        warehouse = args.warehouse or Settings.from_env().warehouse_path
    with connect(warehouse, read_only=True) as conn:
        choice = None if args.period else default_period(conn, datetime.now(timezone.utc).date())
        period = args.period or choice.period
        data = load_report_data(conn, period, choice.skipped if choice else ())
    now = datetime.now(timezone.utc)
    print(f"warehouse {warehouse}, period {period}, {len(data.regions)} regions")
    print(f"{'report':<34}{'pages':>6}{'seconds':>9}{'s/page':>8}{'KB':>7}")

    def show(name, rendered):
        print(f"{name:<34}{rendered.pages:>6}{rendered.seconds:>9.2f}"
              f"{rendered.seconds / rendered.pages:>8.2f}{len(rendered.pdf) // 1024:>7}")

    show("global (first: fonts load)", render_global_report(data, ORGANISATION, now, []))
    rendered = render_global_report(data, ORGANISATION, now, [])
    show("global (again)", rendered)
    total_pages, total_seconds = rendered.pages, rendered.seconds
    for row in data.regions:
        rendered = render_region_report(data, row["region_code"], ORGANISATION, now)
        show(f"region {row['region_code']}", rendered)
        total_pages += rendered.pages
        total_seconds += rendered.seconds
    print(f"{'all reports, one after another':<34}{total_pages:>6}{total_seconds:>9.2f}"
          f"{total_seconds / total_pages:>8.2f}")

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        published = publish_region_reports(data, Path(out), ORGANISATION, now)
    wall = time.perf_counter() - started
    print(f"region reports through the worker pool: {len(published)} PDFs, "
          f"{sum(p.rendered.pages for p in published.values())} pages, {wall:.2f} s wall clock "
          "(includes starting the worker processes)")


if __name__ == "__main__":
    main()
