"""The pipeline on the DuckLake warehouse (WAREHOUSE_CATALOG, WAREHOUSE_DATA_PATH): a
catalog in the tests' real PostgreSQL (tests/postgres_server.py) and Parquet files in a
temporary folder, each test with its own catalog database.

- the sample, run by `partner-reports run` (load, metrics, reports), gives the marts the
  DuckDB file gives for the same package, and one PDF per region;
- two runs of different packages at once, in two processes with their own working and
  report folders (two offices): one commits, the other fails with one line, and the
  warehouse holds one package whole;
- a reader during a run sees the previous state; a run killed before its commit leaves it;
- a catalog that cannot be reached, or a password in the setting: one line, exit 2.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from package_fixture import SAMPLE_DIR, VALID_ROWS, write_package

from pipelines.cli import main
from pipelines.metrics.marts import MART_TYPES
from pipelines.settings import LakeSettings
from pipelines.warehouse import connect

ROOT = Path(__file__).resolve().parents[2]
RUN = "import sys; from pipelines.cli import main; sys.exit(main())"


@pytest.fixture
def lake(postgres_server, tmp_path, monkeypatch) -> dict[str, str]:
    """A fresh DuckLake: its settings, as environment variables (the password in PGPASSWORD)."""
    name = f"lake_{uuid.uuid4().hex[:10]}"
    postgres_server.create_database(name)
    env = {
        "WAREHOUSE_CATALOG": f"host={postgres_server.host} port={postgres_server.port} "
        f"user={postgres_server.user} dbname={name}",
        "WAREHOUSE_DATA_PATH": str(tmp_path / "lake-data"),
        "PGPASSWORD": postgres_server.password,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("MIN_FREE_DISK_SPACE", "0")
    return env


def start(lake: dict, data: Path, work: Path, **extra: str) -> subprocess.Popen:
    """`partner-reports run` in its own process, with `work` as this office's working
    folder (WAREHOUSE_PATH's folder) and `work/reports` as its reports folder."""
    env = {
        **os.environ,
        **lake,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}",
        "PARTNER_DATA_DIR": str(data),
        "WAREHOUSE_PATH": str(work / "w.duckdb"),
        "REPORTS_DIR": str(work / "reports"),
        "MIN_FREE_DISK_SPACE": "0",
        "REPORT_RENDER_WORKERS": "1",
        "REPORT_PERIOD": "2025",
        **extra,
    }
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen(
        [sys.executable, "-c", RUN, "run"],
        env=env,
        cwd=work.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 600) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


MARTS_ONLY = """
from dagster import AssetSelection, DagsterInstance, materialize
from pipelines.definitions import project_assets, resources
from pipelines.settings import Settings
materialize(project_assets(), selection=AssetSelection.groups("metrics"), instance=DagsterInstance.ephemeral(),
            resources=resources(Settings.from_env()), raise_on_error=False)
"""


def start_marts_only(lake: dict, work: Path, **extra: str) -> subprocess.Popen:
    """A run of the metrics group alone, in its own process."""
    work.mkdir(parents=True)
    env = {
        **os.environ,
        **lake,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}",
        "WAREHOUSE_PATH": str(work / "w.duckdb"),
        "REPORTS_DIR": str(work / "reports"),
        "MIN_FREE_DISK_SPACE": "0",
        **extra,
    }
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen(
        [sys.executable, "-c", MARTS_ONLY], env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def mart_income(lake: dict, scratch: Path) -> list[str]:
    with connect(scratch / "reader.duckdb", read_only=True, lake=settings_of(lake)) as conn:
        return [
            v
            for (v,) in conn.execute(
                "SELECT income_eur::VARCHAR FROM marts.region_sustainability "
                "WHERE region_code = 'EU' AND period = '2025'"
            ).fetchall()
        ]


def printed_fingerprint(out: str) -> str:
    return re.search(r"Loaded package ([0-9a-f]+) ", out).group(1)


def settings_of(lake: dict) -> LakeSettings:
    return LakeSettings(lake["WAREHOUSE_CATALOG"], Path(lake["WAREHOUSE_DATA_PATH"]))


def lake_state(lake: dict, scratch: Path) -> dict:
    """What a reader on another machine finds: the fingerprint of audit.package and of the
    rows of every mart, and the converted transaction amounts of staging."""
    with connect(scratch / "reader.duckdb", read_only=True, lake=settings_of(lake)) as conn:
        fingerprint = conn.execute("SELECT fingerprint FROM audit.package").fetchone()[0]
        marts = [
            t
            for (t,) in conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = "
                "current_database() AND schema_name = 'marts'"
            ).fetchall()
        ]
        mart_prints = set()
        for table in marts:
            mart_prints |= {
                p for (p,) in conn.execute(f"SELECT DISTINCT package_fingerprint FROM marts.{table}").fetchall()
            }
        staged = conn.execute("SELECT sum(amount_eur)::VARCHAR FROM staging.transactions").fetchone()[0]
    return {"fingerprint": fingerprint, "marts": sorted(marts), "mart_prints": mart_prints, "staged": staged}


def package(folder: Path, amount: str) -> Path:
    """The tiny valid package with its one transaction of `amount` USD (0.9 EUR per USD)."""
    return write_package(folder, {"transactions": [{**VALID_ROWS["transactions"][0], "amount": amount}]})


def wait_for_files(folder: Path, count: int, procs: list[subprocess.Popen], seconds: float = 400) -> None:
    deadline = time.monotonic() + seconds
    while len([p for p in folder.iterdir() if p.name != "go"]) < count:
        for proc in procs:
            assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the runs did not reach the hold point"
        time.sleep(0.1)


# --- the whole pipeline, same marts as the file ----------------------------------------


def test_the_sample_on_ducklake_gives_the_marts_of_the_duckdb_file(lake, tmp_path):
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.settings import Settings

    code, out, err = finish(start(lake, SAMPLE_DIR, tmp_path / "office"))
    assert code == 0, out + err
    assert "Warehouse: DuckLake, catalog 'host=" in out

    # the same package into the DuckDB file, through the same assets (load and metrics)
    file_warehouse = tmp_path / "file" / "warehouse.duckdb"
    settings = Settings.from_env(
        {
            "PARTNER_DATA_DIR": str(SAMPLE_DIR),
            "WAREHOUSE_PATH": str(file_warehouse),
            "REPORTS_DIR": str(tmp_path / "file" / "reports"),
        }
    )
    assert settings.lake is None
    result = (
        build_definitions(settings)
        .resolve_job_def("load_package")
        .execute_in_process(instance=DagsterInstance.ephemeral())
    )
    assert result.success

    def marts(conn) -> dict[str, list[str]]:
        return {
            t: [repr(r) for r in conn.execute(f"SELECT * FROM marts.{t} ORDER BY ALL").fetchall()] for t in MART_TYPES
        }

    with connect(tmp_path / "reader.duckdb", read_only=True, lake=settings_of(lake)) as conn:
        in_lake = marts(conn)
        regions = {code for (code,) in conn.execute("SELECT region_code FROM staging.regions").fetchall()}
        fingerprint = conn.execute("SELECT fingerprint FROM audit.package").fetchone()[0]
    with connect(file_warehouse, read_only=True) as conn:
        in_file = marts(conn)
    assert all(in_lake[t] for t in MART_TYPES)  # no empty mart compared
    assert in_lake == in_file
    assert fingerprint == printed_fingerprint(out)
    pdfs = sorted(p.name for p in (tmp_path / "office" / "reports" / "2025").glob("*.pdf"))
    assert pdfs == sorted({"partnership-sustainability-2025.pdf"} | {f"{code}.pdf" for code in regions})
    # the data are Parquet files in the data folder, the catalog is in PostgreSQL: no DuckDB file
    assert list((tmp_path / "lake-data").rglob("*.parquet"))
    assert not (tmp_path / "office" / "w.duckdb").exists()


# --- two offices load at once -----------------------------------------------------------


def test_two_loads_at_once_publish_one_package_whole(lake, tmp_path):
    """Both runs are held just before their commit until both have done all their work
    (so their transactions overlap for certain), then let go together."""
    hold = tmp_path / "hold"
    hold.mkdir()
    packages = {
        "north": package(tmp_path / "north-package", "100.00"),
        "south": package(tmp_path / "south-package", "250.00"),
    }
    procs = {
        name: start(lake, data, tmp_path / name, PARTNER_REPORTS_HOLD_AT=f"publish:before-commit={hold}")
        for name, data in packages.items()
    }
    wait_for_files(hold, 2, list(procs.values()))
    (hold / "go").touch()
    results = {name: finish(proc) for name, proc in procs.items()}

    codes = sorted(code for code, _, _ in results.values())
    assert codes == [0, 2], results
    winner = next(name for name, (code, _, _) in results.items() if code == 0)
    loser = next(name for name in results if name != winner)
    err = results[loser][2]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(
        "partner-reports: error: another run committed to the DuckLake warehouse while this run worked"
    )
    assert "nothing of this run was published" in lines[0]
    assert not list((tmp_path / loser / "reports").rglob("*.pdf"))  # its reports were not published either
    assert list((tmp_path / winner / "reports" / "2025").glob("*.pdf"))

    state = lake_state(lake, tmp_path)
    expected = {"north": "90.00", "south": "225.00"}  # 100.00 and 250.00 USD at 0.9 EUR per USD
    assert state["fingerprint"] == printed_fingerprint(results[winner][1])
    assert state["mart_prints"] == {state["fingerprint"]}
    assert state["staged"] == expected[winner]
    assert state["marts"] == sorted(MART_TYPES)


# --- readers during a run, and a run killed before its commit ----------------------------


def test_a_reader_sees_the_previous_state_during_a_run_and_after_it_is_killed(lake, tmp_path):
    """Also: a marts-only run that read staging before another run committed a new
    package does not commit marts of the old package over it."""
    office = tmp_path / "office"
    code, out, err = finish(start(lake, package(tmp_path / "first", "100.00"), office))
    assert code == 0, out + err
    before = lake_state(lake, tmp_path)
    assert before["staged"] == "90.00" and before["mart_prints"] == {before["fingerprint"]}
    files_before = set((tmp_path / "lake-data").rglob("*.parquet"))

    # a marts-only run (as the automation sensor starts), held once it has computed the
    # marts from the first package
    marts_hold = tmp_path / "marts-hold"
    marts_hold.mkdir()
    marts_only = start_marts_only(lake, tmp_path / "analyst", PARTNER_REPORTS_HOLD_AT=f"metrics:computed={marts_hold}")
    wait_for_files(marts_hold, 1, [marts_only])

    # the next package, held when every table of the run is written but not committed
    hold = tmp_path / "hold"
    hold.mkdir()
    second = package(tmp_path / "second", "250.00")
    proc = start(lake, second, office, PARTNER_REPORTS_HOLD_AT=f"publish:before-commit={hold}")
    wait_for_files(hold, 1, [proc])
    assert lake_state(lake, tmp_path) == before

    proc.send_signal(signal.SIGKILL)  # a power cut at that moment
    proc.wait(timeout=30)
    assert lake_state(lake, tmp_path) == before
    # the dead run's Parquet files stay, referenced by no snapshot (docs/production.md, housekeeping)
    assert set((tmp_path / "lake-data").rglob("*.parquet")) > files_before

    code, out, err = finish(start(lake, second, office))
    assert code == 0, out + err
    after = lake_state(lake, tmp_path)
    assert after["staged"] == "225.00" and after["fingerprint"] == printed_fingerprint(out)
    assert after["mart_prints"] == {after["fingerprint"]} != before["mart_prints"]
    income = mart_income(lake, tmp_path)
    assert income == ["225.00"]  # the one EU 2025 income: 250.00 USD at 0.9

    (marts_hold / "go").touch()
    code, out, err = finish(marts_only)
    assert "Not published: another run committed to the DuckLake warehouse while this run worked" in out + err
    assert lake_state(lake, tmp_path) == after and mart_income(lake, tmp_path) == income


# --- settings: one line, exit 2, nothing written -----------------------------------------


@pytest.mark.parametrize(
    "catalog, says",
    [
        (
            "host=127.0.0.1 port={closed} user=reports dbname=lake",
            (
                "WAREHOUSE_CATALOG 'host=127.0.0.1 port={closed} user=reports dbname=lake': "
                "cannot connect to PostgreSQL: Connection refused"
            ),
        ),
        (
            "host={host} port={port} user=nobody dbname=lake",
            'cannot connect to PostgreSQL: FATAL: password authentication failed for user "nobody"',
        ),
        (
            "postgresql://reports:secret@{host}:{port}/lake",
            "WAREHOUSE_CATALOG holds a password: remove it and give it in PGPASSWORD or ~/.pgpass",
        ),
    ],
)
def test_a_catalog_that_cannot_work_is_one_line_and_exit_2(
    lake, postgres_server, tmp_path, capsys, monkeypatch, catalog, says
):
    from loopback import free_port

    values = {"closed": free_port(), "host": postgres_server.host, "port": postgres_server.port}
    monkeypatch.setenv("WAREHOUSE_CATALOG", catalog.format(**values))
    work = tmp_path / "office"
    code = main(
        [
            "run",
            "--data",
            str(package(tmp_path / "package", "100.00")),
            "--warehouse",
            str(work / "w.duckdb"),
            "--reports",
            str(work / "reports"),
        ]
    )
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("partner-reports: error: ")
    assert says.format(**values) in lines[0]
    assert not work.exists() and not (tmp_path / "lake-data").exists()


@pytest.mark.parametrize(
    "environ, says",
    [
        ({"WAREHOUSE_DATA_PATH": "/srv/lake"}, "WAREHOUSE_DATA_PATH is set but WAREHOUSE_CATALOG is empty"),
        ({"WAREHOUSE_CATALOG": "host=db dbname=lake"}, "WAREHOUSE_CATALOG is set but WAREHOUSE_DATA_PATH is empty"),
        (
            {"WAREHOUSE_CATALOG": "host=db dbname=lake password=x", "WAREHOUSE_DATA_PATH": "/srv/lake"},
            "WAREHOUSE_CATALOG holds a password",
        ),
        (
            {"WAREHOUSE_CATALOG": "host=db dbname=lake", "WAREHOUSE_DATA_PATH": "s3://bucket/lake"},
            "WAREHOUSE_DATA_PATH='s3://bucket/lake': object stores are not supported yet",
        ),
    ],
)
def test_lake_settings_that_cannot_work(environ, says):
    from pipelines.settings import Settings, SettingsError

    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environ)
    assert str(raised.value).startswith(says)


def test_no_catalog_is_the_duckdb_file_and_a_catalog_is_ducklake():
    from pipelines.settings import Settings

    assert Settings.from_env({}).lake is None
    lake = Settings.from_env(
        {"WAREHOUSE_CATALOG": " postgresql://reports@db:5432/lake ", "WAREHOUSE_DATA_PATH": "/srv/lake"}
    ).lake
    assert lake == LakeSettings("postgresql://reports@db:5432/lake", Path("/srv/lake"))
