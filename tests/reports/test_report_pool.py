"""The render pool: same PDFs as rendering in this process, and no worker outlives its
pool or a run killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime

import pytest
from conftest import pdf_text

from pipelines.reports.data import load_report_data
from pipelines.reports.publish import RenderPool
from pipelines.reports.render import render_region_report
from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import connect

GENERATED = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except (FileNotFoundError, ProcessLookupError):  # gone before, or between open and read
        return False


def wait_until_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


@pytest.fixture(scope="module")
def data(warehouse_path):
    with connect(warehouse_path, read_only=True) as conn:
        return load_report_data(conn, "2025")


def test_a_worker_renders_what_this_process_renders_and_ends_with_the_pool(data):
    with RenderPool(2) as pool:
        pool.wait_ready()
        pids = pool.worker_pids()
        rendered = pool.render(data, "MENA", "Test Federation", GENERATED).result()
    here = render_region_report(data, "MENA", "Test Federation", GENERATED)
    assert (rendered.pages, pdf_text(rendered.pdf)) == (here.pages, pdf_text(here.pdf))
    assert rendered.missing_glyphs == here.missing_glyphs == []
    assert len(pids) == 2 and os.getpid() not in pids
    assert wait_until_gone(pids) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux only")
def test_workers_die_with_a_run_killed_by_sigkill(tmp_path):
    """A process that started a pool and is killed with SIGKILL (no clean-up runs) takes its
    render workers with it (issue 12: orphaned workers kept writing PDFs)."""
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent("""
        import sys, time
        from pipelines.reports.publish import RenderPool
        if __name__ == "__main__":
            pool = RenderPool(2)
            pool.wait_ready()
            print(*pool.worker_pids(), flush=True)
            time.sleep(600)
    """)
    )
    run = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
    try:
        pids = [int(p) for p in run.stdout.readline().split()]
        assert len(pids) == 2 and all(alive(p) for p in pids)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        assert wait_until_gone(pids) == []
    finally:
        run.kill()
