"""What a run checks and says before and while it works: output paths, free space, the
run lock, a full disk, and one line naming the cause of each failure."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from package_fixture import VALID_ROWS

from pipelines import runlock
from pipelines.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("MIN_FREE_DISK_SPACE", "0")
    monkeypatch.setenv("REPORT_RENDER_WORKERS", "1")


def run(folder, warehouse, reports, capsys):
    code = main(["run", "--data", str(folder), "--warehouse", str(warehouse), "--reports", str(reports)])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def fingerprint(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute("SELECT fingerprint FROM audit.package").fetchone()[0]


# --- output paths: one line, before any work ------------------------------------------


def test_a_missing_data_folder_is_one_line_and_leaves_no_warehouse(tmp_path, capsys):
    code, out, err = run(tmp_path / "nope", tmp_path / "w.duckdb", tmp_path / "reports", capsys)
    assert code == 2 and out == ""
    assert (
        one_line(err) == f"partner-reports: error: PARTNER_DATA_DIR {tmp_path / 'nope'} does not exist: nothing to load"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_warehouse_path_that_is_a_folder(tmp_path, package, capsys):
    (tmp_path / "w").mkdir()
    code, out, err = run(package(), tmp_path / "w", tmp_path / "reports", capsys)
    assert code == 2 and out == ""
    assert "WAREHOUSE_PATH" in one_line(err) and "is a folder; it must name a file" in err


def test_a_reports_dir_that_is_a_file(tmp_path, package, capsys):
    (tmp_path / "reports").write_text("x")
    code, out, err = run(package(), tmp_path / "w.duckdb", tmp_path / "reports", capsys)
    assert code == 2 and out == ""
    assert one_line(err) == f"partner-reports: error: REPORTS_DIR {tmp_path / 'reports'} is a file, not a folder"
    assert not (tmp_path / "w.duckdb").exists()


def test_a_warehouse_of_another_duckdb_storage_version_is_named_before_any_work(tmp_path, package, capsys):
    """A warehouse written by DuckDB 2.0.0 (before the project moved to 1.4 LTS; the fixture is
    a real one, gzipped) has a storage version DuckDB 1.4 refuses to open: one line saying what
    to do, exit 2, the file and the reports folder left alone."""
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(
        gzip.decompress((ROOT / "tests" / "fixtures" / "warehouse-duckdb-2.0.0.duckdb.gz").read_bytes())
    )
    before = warehouse.read_bytes()
    code, out, err = run(package(), warehouse, tmp_path / "reports", capsys)
    assert code == 2 and out == ""
    assert one_line(err) == (
        f"partner-reports: error: WAREHOUSE_PATH {warehouse} was written by another DuckDB version "
        f"(storage version 999) than this project's DuckDB {duckdb.__version__} can read: move it aside "
        "or delete it; the next run builds it again from the package"
    )
    assert warehouse.read_bytes() == before
    assert not (tmp_path / "reports").exists()


def test_a_warehouse_inside_a_file(tmp_path, package, capsys):
    (tmp_path / "plain").write_text("x")
    code, out, err = run(package(), tmp_path / "plain" / "w.duckdb", tmp_path / "reports", capsys)
    assert code == 2 and out == ""
    assert f"{tmp_path / 'plain'} is a file, so the folder cannot be made" in one_line(err)


def read_only_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:  # root writes through mode bits: a read-only mount
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)]).returncode:
            pytest.skip("cannot mount a read-only tmpfs")
    else:
        folder.chmod(0o555)
    return folder


def unmount(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["umount", str(folder)], check=False)
    else:
        folder.chmod(0o755)


def test_a_read_only_reports_folder_is_found_before_the_load(tmp_path, package, capsys):
    folder = read_only_folder(tmp_path)
    try:
        code, out, err = run(package(), tmp_path / "w.duckdb", folder, capsys)
    finally:
        unmount(folder)
    assert code == 2 and out == ""
    assert one_line(err).startswith(f"partner-reports: error: REPORTS_DIR {folder} is not writable")
    assert not (tmp_path / "w.duckdb").exists()


def test_a_read_only_warehouse_folder(tmp_path, package, capsys):
    folder = read_only_folder(tmp_path)
    try:
        code, out, err = run(package(), folder / "w.duckdb", tmp_path / "reports", capsys)
    finally:
        unmount(folder)
    assert code == 2 and out == ""
    assert f"the folder of WAREHOUSE_PATH {folder / 'w.duckdb'} is not writable" in one_line(err)


def test_too_little_free_space(tmp_path, package, capsys, monkeypatch):
    monkeypatch.setenv("MIN_FREE_DISK_SPACE", "1000TB")
    code, out, err = run(package(), tmp_path / "w.duckdb", tmp_path / "reports", capsys)
    assert code == 2 and out == ""
    line = one_line(err)
    assert f"free in {tmp_path} (WAREHOUSE_PATH); a run needs 1,000,000.0 GB (MIN_FREE_DISK_SPACE)" in line
    assert not (tmp_path / "w.duckdb").exists()


def test_bad_run_settings_are_one_line(tmp_path, package, capsys, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_LOCK_TIMEOUT", "soon")
    code, _, err = run(package(), tmp_path / "w.duckdb", tmp_path / "reports", capsys)
    assert code == 2
    assert (
        one_line(err) == "partner-reports: error: WAREHOUSE_LOCK_TIMEOUT='soon' is not a number of seconds (0 or more)"
    )


# --- failures while working: one line, the previous state whole -----------------------


def test_a_failed_blocking_check_names_it_and_publishes_nothing(tmp_path, package, capsys):
    warehouse, reports = tmp_path / "w.duckdb", tmp_path / "reports"
    assert run(package(), warehouse, reports, capsys)[0] == 0
    before = fingerprint(warehouse)
    # every region code in lower case: every row is rejected, the marts would be empty
    folder = package(overrides={"regions": [{"region_code": "eu", "region_name": "Europe"}]})
    code, out, err = run(folder, warehouse, reports, capsys)
    assert code == 2
    # the first blocking check to fail is the load's: no region loaded (then its children)
    assert one_line(err).startswith("partner-reports: error: blocking check failed, nothing was published: staging/")
    assert "rows_mostly_loaded (blocking)" in one_line(err) and "rejected, most often" in one_line(err)
    assert "FAILED staging/regions: rows_mostly_loaded (blocking): regions: 0 of 1 rows loaded" in out
    assert fingerprint(warehouse) == before
    assert not list(tmp_path.glob("w.duckdb.next*")) and not list(tmp_path.glob(".reports.partial-*"))


def test_a_crash_in_a_step_names_the_error_and_where(tmp_path, package, capsys, monkeypatch):
    from pipelines.metrics import assets

    def broken(*_args, **_kwargs):
        return 1 / 0

    monkeypatch.setattr(assets, "compute_region_metrics", broken)
    code, out, err = run(package(), tmp_path / "w.duckdb", tmp_path / "reports", capsys)
    assert code == 2
    line = one_line(err)
    assert line.startswith(
        "partner-reports: error: step compute_region_metrics failed: "
        "ZeroDivisionError: division by zero (pipelines/metrics/assets.py, line "
    )
    assert not (tmp_path / "w.duckdb").exists()  # nothing was published: no warehouse at all


def test_an_unclosed_quote_names_its_line(tmp_path, package, capsys):
    folder = package()
    rows = [f"T{i},A1,2025-02-01,income,1.00,USD" for i in range(3, 30)]
    text = (folder / "transactions.csv").read_text() + 'T2,A1,2025-02-01,income,"5.00,USD\n' + "\n".join(rows) + "\n"
    (folder / "transactions.csv").write_text(text)
    code, _, err = run(folder, tmp_path / "w.duckdb", tmp_path / "reports", capsys)
    assert code == 2
    assert one_line(err) == (
        f"partner-reports: error: {folder / 'transactions.csv'}, line 3: a quoted field opened "
        "on this line is never closed (it would run to the end of the file, line 30); close the quote"
    )


def test_reports_follow_the_umask(tmp_path, package, capsys):
    old = os.umask(0o002)
    try:
        assert run(package(), tmp_path / "w.duckdb", tmp_path / "reports", capsys)[0] == 0
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "reports").rglob("*")}
    assert modes == {"2025": 0o775, "EU.pdf": 0o664, "partnership-sustainability-2025.pdf": 0o664}


# --- a full disk ----------------------------------------------------------------------


def test_a_full_disk_ends_the_run_with_one_line_and_the_previous_state_whole(tmp_path, package, capsys):
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(disk)]).returncode:
        pytest.skip("needs root to mount a 20 MB tmpfs")
    try:
        warehouse, reports = disk / "w.duckdb", tmp_path / "reports"
        assert run(package(), warehouse, reports, capsys)[0] == 0
        before = fingerprint(warehouse)
        stats = os.statvfs(disk)
        with open(disk / "filler", "wb") as filler:  # leave 1 MB, less than the warehouse
            filler.write(b"\0" * (stats.f_bavail * stats.f_frsize - 1_000_000))
        folder = package(overrides={"transactions": [{**VALID_ROWS["transactions"][0], "amount": "250.00"}]})
        code, _, err = run(folder, warehouse, reports, capsys)
        assert code == 2
        line = one_line(err)
        assert line.startswith("partner-reports: error: disk full: ") and "No space left on device" in line
        assert "the previous warehouse and reports are whole" in line
        assert fingerprint(warehouse) == before
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "w.duckdb", "w.duckdb.lock"]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# --- one run at a time ----------------------------------------------------------------


def cli(*args: str, env: dict) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "MIN_FREE_DISK_SPACE": "0", **env}
    environment.pop("DAGSTER_HOME", None)
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from pipelines.cli import main; sys.exit(main())", "run", *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_run_gives_up_with_one_line_naming_the_holder(tmp_path, package):
    warehouse = tmp_path / "w.duckdb"
    runlock.acquire(warehouse, "holder-run", timeout=0)
    try:
        done = cli(
            "--data",
            str(package()),
            "--warehouse",
            str(warehouse),
            "--reports",
            str(tmp_path / "r"),
            env={"WAREHOUSE_LOCK_TIMEOUT": "1"},
        )
        out, err = done.communicate(timeout=120)
    finally:
        runlock.release(warehouse)
    assert done.returncode == 2 and out == ""
    waiting, final = err.strip().splitlines()
    assert waiting.startswith(
        f"Waiting for the run that holds warehouse {warehouse} to finish: pid {os.getpid()} (run holder-run, started "
    )
    assert final.startswith(
        f"partner-reports: error: warehouse {warehouse} is in use by pid {os.getpid()} (run holder-run, started "
    )
    assert final.endswith("; gave up after 1 s (WAREHOUSE_LOCK_TIMEOUT)")
    assert not warehouse.exists()


def test_two_runs_at_once_take_turns_and_never_interleave(tmp_path, package):
    first = package()
    second = tmp_path / "second"
    import shutil

    shutil.copytree(first, second)
    (second / "transactions.csv").write_text((first / "transactions.csv").read_text().replace("100.00", "250.00"))
    warehouse = tmp_path / "w.duckdb"
    runs = []
    for name, folder in (("one", first), ("two", second)):
        runs.append(
            cli(
                "--data",
                str(folder),
                "--warehouse",
                str(warehouse),
                "--reports",
                str(tmp_path / "r"),
                env={
                    "WAREHOUSE_LOCK_TIMEOUT": "120",
                    "REPORT_RENDER_WORKERS": "1",
                    "PARTNER_REPORTS_CRASH_LOG": str(tmp_path / f"{name}.log"),
                },
            )
        )
    results = [r.communicate(timeout=240) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], results
    assert sum("Waiting for the run that holds warehouse" in err for _, err in results) == 1, results
    spans = []
    for name in ("one", "two"):
        times = [float(line.split()[0]) for line in (tmp_path / f"{name}.log").read_text().splitlines()]
        spans.append((min(times), max(times)))
    spans.sort()
    assert spans[0][1] < spans[1][0], spans  # the second run's first step after the first's last
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        fp = conn.execute("SELECT fingerprint FROM audit.package").fetchone()[0]
        assert {
            r
            for (r,) in conn.execute("SELECT DISTINCT package_fingerprint FROM marts.region_sustainability").fetchall()
        } == {fp}
    time.sleep(0)
