"""Kill a run at named points (`PARTNER_REPORTS_CRASH_AT`, pipelines/crashpoints.py) and
check what a reader finds: the data contract's "Whole states" rule.

After each kill: the warehouse opens; staging and marts come from the same package (the
previous or the new one, by fingerprint and by content); REPORTS_DIR holds exactly one
whole report set, from one run; no process of the run is alive; the next run completes.
Runs are forked from a warm process (tests/run_forker.py) and render in the run's own
process (REPORT_RENDER_WORKERS=1), except those killed while reports render, which use
the worker pool (so its workers must die with the run). The points are split between two
independent chains (own packages, warehouse, reports and forker) that run side by side; the
forker renders once and freezes its heap before forking. 21 kills and the 21 runs after them
took 91-165 s on this 2-vCPU machine (175 s as one chain): two CPU-bound processes there run
at ~0.55x each, so the chains gain little, and most of a completed run is WeasyPrint rendering.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
from package_fixture import VALID_ROWS, write_package
from pypdf import PdfReader

from pipelines.metrics.marts import MART_TYPES

ROOT = Path(__file__).resolve().parent.parent

# In the order a run reaches them: during the load, between the load and the marts, while
# the marts are written, while the PDFs render and are written, and while it publishes.
POINTS = [
    "build:copied",
    "load:read:regions",
    "load:read:transactions",
    "load:staged:regions",
    "load:staged:agreements",
    "load:staged:transactions",
    "load:staged:outcomes",
    "load:before-commit",
    "load:committed",
    "metrics:started",
    "metrics:computed",
    "marts:written:region_sustainability",
    "marts:written:metric_settings",
    "marts:before-commit",
    "reports:rendering",
    "reports:written:partnership-sustainability-2025.pdf",
    "reports:written:EU.pdf",
    "publish:before-swap",
    "publish:after-swap",
    "reports:publish:2025",
    "reports:published",
]


class Forker:
    def __init__(self, tmp: Path):
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
        env.pop("DAGSTER_HOME", None)
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "run_forker.py")],
            cwd=tmp,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.tmp = tmp

    def run(self, argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
        """Run `partner-reports` with `argv`; returns (exit status or -signal, log, run marker)."""
        marker = uuid.uuid4().hex
        log = self.tmp / f"run-{marker}.log"
        request = {"argv": argv, "env": {**env, "PARTNER_REPORTS_TEST_RUN": marker}, "log": str(log)}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        json.loads(self.proc.stdout.readline())  # started
        status = json.loads(self.proc.stdout.readline())["status"]
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        return code, log.read_text(errors="replace") if log.exists() else "", marker

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def processes_with(marker: str) -> list[int]:
    """Processes whose environment carries the run's marker (forkserver, workers, trackers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"PARTNER_REPORTS_TEST_RUN={marker}".encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def wait_until_gone(marker: str, seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def published_state(warehouse: Path) -> dict:
    """What a reader finds: the package fingerprint of audit.package and of every mart, and
    one figure from staging and one from the marts (content, not just labels)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        fingerprint = conn.execute("SELECT fingerprint FROM audit.package").fetchone()[0]
        marts = [
            t for (t,) in conn.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()
        ]
        mart_prints = set()
        for table in marts:
            mart_prints |= {
                fp for (fp,) in conn.execute(f"SELECT DISTINCT package_fingerprint FROM marts.{table}").fetchall()
            }
        staged = conn.execute("SELECT sum(amount)::VARCHAR FROM staging.transactions").fetchone()[0]
        income = conn.execute(
            "SELECT income_eur::VARCHAR FROM marts.region_sustainability WHERE region_code = 'ALL' AND period = '2025'"
        ).fetchone()[0]
    return {"fingerprint": fingerprint, "marts": mart_prints, "staged": staged, "income": income, "tables": len(marts)}


def report_files(reports: Path) -> list[str]:
    return sorted(str(p.relative_to(reports)) for p in reports.rglob("*"))


def report_set(reports: Path) -> set:
    """The generation times of the PDFs: one value when they come from one run."""
    created = set()
    for pdf in (reports / "2025").glob("*.pdf"):
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), pdf
        created.add(PdfReader(pdf).metadata.creation_date)
    return created


EXPECTED_FILES = ["2025", "2025/EU.pdf", "2025/partnership-sustainability-2025.pdf"]


def kill_at_each_point(tmp: Path, points: list[str]) -> None:
    """One chain: its own packages, warehouse, reports and forker. Publish package a; then for
    each point kill a run of the other package there, check the state, and run that package
    to completion, which leaves the state the next point starts from."""
    tmp.mkdir()
    packages = {
        "a": write_package(tmp / "a"),
        "b": write_package(
            tmp / "b", overrides={"transactions": [{**VALID_ROWS["transactions"][0], "amount": "250.00"}]}
        ),
    }
    warehouse, reports = tmp / "w.duckdb", tmp / "reports"
    forker = Forker(tmp)
    env = {"MIN_FREE_DISK_SPACE": "0", "WAREHOUSE_LOCK_TIMEOUT": "30"}
    expected = {}  # package fingerprint -> (staged, income) as its completed runs published them

    def run(name: str, crash: str | None = None):
        workers = "2" if crash and crash.startswith("reports:writ") or crash == "reports:rendering" else "1"
        return forker.run(
            ["run", "--data", str(packages[name]), "--warehouse", str(warehouse), "--reports", str(reports)],
            {**env, "PARTNER_REPORTS_CRASH_AT": crash or "", "REPORT_RENDER_WORKERS": workers},
        )

    def complete(name: str, after: str) -> None:
        code, log, marker = run(name)
        assert code == 0, f"after a kill at {after}:\n{log}"
        state = published_state(warehouse)
        assert state["marts"] == {state["fingerprint"]} and state["tables"] == len(MART_TYPES), (after, state)
        content = (state["staged"], state["income"])
        assert expected.setdefault(state["fingerprint"], content) == content, (after, state)
        assert report_files(reports) == EXPECTED_FILES, (after, report_files(reports))
        assert wait_until_gone(marker) == [], after

    try:
        complete("a", after="nothing")
        current = "a"
        for point in points:
            new = "b" if current == "a" else "a"
            before = published_state(warehouse)["fingerprint"]
            code, log, marker = run(new, crash=point)
            assert code == -signal.SIGKILL, f"{point}: the run was not killed there ({code})\n{log}"
            # The warehouse opens, and staging and marts are one package's, the previous or the new.
            state = published_state(warehouse)
            assert state["marts"] == {state["fingerprint"]} and state["tables"] == len(MART_TYPES), (point, state)
            published_new = state["fingerprint"] != before
            assert published_new == point.startswith(("publish:after", "reports:publish", "reports:published")), point
            # By content too: what a completed run of that package published (each chain's first
            # point is one that publishes nothing, so package b has completed by the first that does).
            assert state["fingerprint"] in expected, (point, state)
            assert (state["staged"], state["income"]) == expected[state["fingerprint"]], (point, state)
            # Reports: exactly one whole set, nothing partial or stray.
            assert report_files(reports) == EXPECTED_FILES, (point, report_files(reports))
            assert len(report_set(reports)) == 1, point
            # No process of the run lives on (render workers, forkserver, resource tracker).
            assert wait_until_gone(marker) == [], point
            # The next run completes and publishes its package.
            complete(new, after=point)
            assert published_state(warehouse)["fingerprint"] != before, point
            assert not list(tmp.glob("w.duckdb.next*")), point
            assert not [p for p in tmp.iterdir() if ".partial-" in p.name], point
            current = new
        assert len(expected) == 2
    finally:
        forker.close()


def test_a_run_killed_at_any_point_leaves_a_whole_state(tmp_path):
    # Two chains, one per core, each on its own copies: every other point, so both see the
    # load, the marts, the rendering and the publication, and take about as long.
    chains = [POINTS[0::2], POINTS[1::2]]
    started = time.monotonic()
    with ThreadPoolExecutor(len(chains)) as pool:
        futures = [pool.submit(kill_at_each_point, tmp_path / f"chain{i}", points) for i, points in enumerate(chains)]
        for future in futures:
            future.result()
    elapsed = time.monotonic() - started
    print(f"{len(POINTS)} kills and the runs after them in {elapsed:.0f} s")
    assert elapsed < 240  # bounded (about 2¾ minutes on this 2-vCPU machine, see the docstring)
