"""How long the reports take to render: per report and per page.

    .venv/bin/python benchmarks/report_benchmark.py [--warehouse FILE] [--period 2025]

Uses the warehouse at WAREHOUSE_PATH (after `make run`), or with --fixture the small
hand-filled warehouse of tests/reports. Renders in memory one report at a time, then all
reports (global + regions) through the worker pool the assets use, writing them to a
temporary folder: once with the pool's start-up included (cold), once with a pool
started beforehand, as the `reports` resource does when a run starts (warm; the figure
that a run's reports steps take). The machine's load average is printed: on a shared
machine the wall-clock figures move with it, so run it several times; the CPU seconds of
the one-after-another renders (this process) move much less.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pipelines.reports.data import default_period, load_report_data
from pipelines.reports.publish import RenderPool, publish_global_report
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
        choice = None if args.period else default_period(conn, datetime.now(UTC).date())
        period = args.period or choice.period
        data = load_report_data(conn, period, choice.skipped if choice else ())
    now = datetime.now(UTC)
    print(f"warehouse {warehouse}, period {period}, {len(data.regions)} regions")
    print(f"{'report':<34}{'pages':>6}{'seconds':>9}{'s/page':>8}{'CPU s':>7}{'KB':>7}")

    def show(name, render, *args):
        cpu = time.process_time()
        rendered = render(data, *args)
        cpu = time.process_time() - cpu
        print(
            f"{name:<34}{rendered.pages:>6}{rendered.seconds:>9.2f}"
            f"{rendered.seconds / rendered.pages:>8.2f}{cpu:>7.2f}{len(rendered.pdf) // 1024:>7}"
        )
        return rendered, cpu

    show("global (first: fonts load)", render_global_report, ORGANISATION, now, [])
    rendered, total_cpu = show("global (again)", render_global_report, ORGANISATION, now, [])
    total_pages, total_seconds = rendered.pages, rendered.seconds
    for row in data.regions:
        rendered, cpu = show(
            f"region {row['region_code']}", render_region_report, row["region_code"], ORGANISATION, now
        )
        total_pages += rendered.pages
        total_seconds += rendered.seconds
        total_cpu += cpu
    print(
        f"{'all reports, one after another':<34}{total_pages:>6}{total_seconds:>9.2f}"
        f"{total_seconds / total_pages:>8.2f}{total_cpu:>7.2f}"
    )

    def all_seven(pool: RenderPool) -> tuple[int, int]:
        with tempfile.TemporaryDirectory() as out:
            batch = {row["region_code"]: None for row in data.regions}
            glob = publish_global_report(
                data,
                Path(out),
                ORGANISATION,
                now,
                [],
                pool=pool,
                meanwhile=lambda: batch.update(  # the region renders start while the global renders
                    {c: pool.render(data, c, ORGANISATION, now) for c in batch}
                ),
            )
            pages = glob.rendered.pages + sum(f.result().pages for f in batch.values())
            return 1 + len(batch), pages

    for label, warm in (("cold: pool start-up included", False), ("warm: pool started before", True)):
        if warm:
            pool = RenderPool()
            pool.wait_ready()
        started = time.perf_counter()
        with pool if warm else RenderPool() as used:
            count, pages = all_seven(used)
            wall = time.perf_counter() - started
        print(
            f"all {count} reports through the worker pool ({label}): {pages} pages, "
            f"{wall:.2f} s wall clock; load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
