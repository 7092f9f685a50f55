"""The production path of docs/production.md, for real: `dagster-webserver` and
`dagster-daemon run` on `deploy/workspace.yaml`, with `DAGSTER_HOME/dagster.yaml` a copy of
`deploy/dagster.postgres.yaml` and Dagster's storage in a real PostgreSQL server on loopback
(the session fixture `postgres_server`, tests/postgres_server.py).

The module fixture plays one day of operations once, and the tests read what it left:

1. the schema is created (`dagster instance migrate`), then the webserver and the daemon start;
2. the package sensor's first tick finds an empty package folder and skips;
3. the package lands; `dagster job launch` queues `refresh_all` and GraphQL's `launchRun`
   queues `load_package` right behind it (`max_concurrent_runs: 1`);
4. the sensor's next tick (it ticks every 60 s) sees the new files and requests a load;
5. once every run has ended, the processes are stopped (also when a step failed; their logs
   are printed then) and what they stored is read back from PostgreSQL with psycopg2.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg2
import pytest
from loopback import free_port, graphql
from package_fixture import write_package

from pipelines.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
WORKSPACE = PROJECT_ROOT / "deploy" / "workspace.yaml"
SENSOR = "partner_package_changed"
STARTUP_SECONDS = 90
TICK_SECONDS = 90  # the sensor ticks every 60 s (pipelines/automation.py)
RUNS_SECONDS = 240
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


@dataclass
class Deployment:
    env: dict[str, str]
    folder: Path
    url: str = ""
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    launched: dict[str, str] = field(default_factory=dict)  # job name -> run id

    def start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            [str(BIN / name), *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: its code server and run processes stop with it
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name} ---\n{log.read_text(errors='replace')[-4000:]}"
            for log in sorted(self.folder.glob("*.log"))
        )

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} exited with {process.returncode}"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        return graphql(self.url, query, variables)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read Dagster's storage straight from PostgreSQL, not through Dagster."""
        conn = psycopg2.connect(
            host=self.env["DAGSTER_PG_HOST"],
            port=self.env["DAGSTER_PG_PORT"],
            dbname=self.env["DAGSTER_PG_DB"],
            user=self.env["DAGSTER_PG_USERNAME"],
            password=self.env["DAGSTER_PG_PASSWORD"],
        )
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            conn.close()

    def sensor_ticks(self) -> list[dict]:
        bodies = [json.loads(body) for (body,) in self.query("SELECT tick_body FROM job_ticks ORDER BY id")]
        return [t for t in bodies if t.get("instigator_name", t.get("job_name")) == SENSOR]

    def runs(self) -> dict[str, dict]:
        rows = self.query("SELECT run_id, pipeline_name, status, start_time, end_time FROM runs")
        return {r[0]: {"job": r[1], "status": r[2], "start": r[3], "end": r[4]} for r in rows}

    def enqueued(self) -> dict[str, float]:
        """When each run joined the queue (epoch seconds, from its PIPELINE_ENQUEUED event)."""
        rows = self.query("SELECT run_id, event FROM event_logs WHERE dagster_event_type = 'PIPELINE_ENQUEUED'")
        return {run_id: json.loads(event)["timestamp"] for run_id, event in rows}


def wait_for(what: str, condition, seconds: float, deployment: Deployment):
    deadline = time.monotonic() + seconds
    while True:
        deployment.check_alive()
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.5)


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each process group, then SIGKILL to those still there; returns when no
    process of any group is left."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for process in processes:
                process.poll()  # reap the leader so that its group can empty
            if not [p for p in processes if group_alive(p)]:
                return
            time.sleep(0.2)


def group_alive(process: subprocess.Popen) -> bool:
    try:
        os.killpg(process.pid, 0)
        return True
    except ProcessLookupError:
        return False


def served(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/server_info", timeout=2)
        return True
    except (urllib.error.URLError, ConnectionError):
        return False


REPOSITORY = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUNS = "{ runsOrError { ... on Runs { results { runId jobName status } } } }"


def launch_with_cli(deployment: Deployment, job: str) -> str:
    """`dagster job launch`, as docs/production.md gives it; the new run's id is read back from
    PostgreSQL (the command prints none)."""
    before = set(deployment.runs())
    done = subprocess.run(
        [str(BIN / "dagster"), "job", "launch", "-w", str(WORKSPACE), "-j", job],
        cwd=PROJECT_ROOT,
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (run_id,) = {r for r, run in deployment.runs().items() if run["job"] == job} - before
    return run_id


def launch_with_graphql(deployment: Deployment, job: str) -> str:
    (repository,) = deployment.graphql(REPOSITORY)["repositoriesOrError"]["nodes"]
    params = {
        "selector": {
            "repositoryLocationName": repository["location"]["name"],
            "repositoryName": repository["name"],
            "jobName": job,
        },
        "runConfigData": {},
    }
    answer = deployment.graphql(LAUNCH, {"params": params})["launchRun"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    return answer["run"]["runId"]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, postgres_server):
    folder = tmp_path_factory.mktemp("production")
    home = folder / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")  # verbatim
    package = folder / "package"
    package.mkdir()  # empty until the package lands
    postgres_server.create_database("dagster_production")
    env = dict(
        os.environ,
        DAGSTER_HOME=str(home),
        **postgres_server.env("dagster_production"),
        PARTNER_DATA_DIR=str(package),
        WAREHOUSE_PATH=str(folder / "warehouse.duckdb"),
        REPORTS_DIR=str(folder / "reports"),
    )
    deployment = Deployment(env=env, folder=folder)
    try:
        migrate = subprocess.run(
            [str(BIN / "dagster"), "instance", "migrate"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr

        port = free_port()
        deployment.url = f"http://127.0.0.1:{port}"
        deployment.start("dagster-webserver", "-w", str(WORKSPACE), "-h", "127.0.0.1", "-p", str(port))
        deployment.start("dagster-daemon", "run", "-w", str(WORKSPACE))
        wait_for("the webserver answers", lambda: served(deployment.url), STARTUP_SECONDS, deployment)

        wait_for(
            "the sensor's first tick, finished",
            lambda: [t for t in deployment.sensor_ticks() if t["status"]["__enum__"] != "TickStatus.STARTED"],
            STARTUP_SECONDS,
            deployment,
        )

        write_package(folder / "incoming")  # the package lands: written elsewhere, then moved in
        for file in sorted((folder / "incoming").iterdir()):
            file.rename(package / file.name)
        deployment.launched["refresh_all"] = launch_with_cli(deployment, "refresh_all")
        deployment.launched["load_package"] = launch_with_graphql(deployment, "load_package")

        wait_for(
            "the sensor's load request",
            lambda: any(t.get("run_ids") for t in deployment.sensor_ticks()),
            TICK_SECONDS,
            deployment,
        )
        wait_for(
            "every run ended",
            lambda: all(r["status"] in TERMINAL for r in deployment.runs().values()),
            RUNS_SECONDS,
            deployment,
        )
        yield deployment
    finally:
        stopping = time.monotonic()
        stop(list(deployment.processes.values()))
        print(f"stopped in {time.monotonic() - stopping:.1f} s")
        print(deployment.logs())  # pytest shows it when the fixture or a test failed


def failures(deployment: Deployment, run_id: str) -> str:
    rows = deployment.query(
        "SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type "
        "IN ('STEP_FAILURE', 'PIPELINE_FAILURE') ORDER BY id",
        (run_id,),
    )
    return "\n".join(json.loads(event).get("user_message", "") for (event,) in rows)


def sensor_run_ids(deployment: Deployment) -> list[str]:
    return [run_id for tick in deployment.sensor_ticks() for run_id in tick.get("run_ids") or []]


def test_the_sensor_skips_an_empty_folder_then_loads_the_package_when_it_lands(deployment):
    ticks = deployment.sensor_ticks()
    first = ticks[0]
    assert first["status"]["__enum__"] == "TickStatus.SKIPPED", first
    assert "holds no table files" in first["skip_reason"]
    (run_id,) = sensor_run_ids(deployment)
    run = deployment.runs()[run_id]
    assert run["job"] == "load_package"
    assert run["status"] == "SUCCESS", failures(deployment, run_id)
    tags = dict(deployment.query("SELECT key, value FROM run_tags WHERE run_id = %s", (run_id,)))
    assert tags["dagster/sensor_name"] == SENSOR
    landed = sorted(p.name for p in Path(deployment.env["PARTNER_DATA_DIR"]).iterdir())
    assert tags["partner_reports/changed_files"] == f"{', '.join(landed[:5])} and {len(landed) - 5} more"
    # The sensor's cursor (the files' hashes) is kept in PostgreSQL for the next tick.
    (body,) = deployment.query(
        "SELECT instigator_body FROM instigators WHERE instigator_body LIKE %s", (f'%"{SENSOR}"%',)
    )[0]
    cursor = json.loads(json.loads(body)["job_specific_data"]["cursor"])
    assert set(cursor) == {p.name for p in Path(deployment.env["PARTNER_DATA_DIR"]).iterdir()}


def test_launched_runs_succeed_and_the_queue_runs_one_at_a_time(deployment):
    runs = deployment.runs()
    for job, run_id in deployment.launched.items():
        assert runs[run_id]["job"] == job
    for run_id, run in runs.items():
        assert run["status"] == "SUCCESS", f"{run['job']} {run_id}: {failures(deployment, run_id)}"
    enqueued = deployment.enqueued()
    spans = sorted((run["start"], run["end"], enqueued[run_id]) for run_id, run in runs.items())
    for (_, end, _), (next_start, _, _) in zip(spans, spans[1:], strict=False):
        assert next_start >= end, f"runs overlapped: {spans}"
    # The queue was used: a run joined it while the one before it was still going, and waited.
    assert any(queued < end for (_, end, _), (_, _, queued) in zip(spans, spans[1:], strict=False)), spans


def test_runs_and_event_logs_are_read_back_from_postgres(deployment):
    runs = deployment.runs()
    assert set(runs) == {*deployment.launched.values(), *sensor_run_ids(deployment)}  # and no other
    served_runs = {r["runId"]: r for r in deployment.graphql(RUNS)["runsOrError"]["results"]}
    assert set(served_runs) == set(runs)  # the webserver shows what PostgreSQL holds
    assert {r["status"] for r in served_runs.values()} == {"SUCCESS"}

    def materialized(run_id: str) -> set[str]:
        rows = deployment.query(
            "SELECT asset_key FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
            (run_id,),
        )
        return {"/".join(json.loads(key)) for (key,) in rows}

    refresh = materialized(deployment.launched["refresh_all"])
    assert {
        "staging/transactions",
        "audit/rejects",
        "marts/region_sustainability",
        "reports/global_report",
        "reports/region_reports",
    } <= refresh
    load = materialized(deployment.launched["load_package"])
    assert {"staging/transactions", "marts/region_sustainability"} <= load
    assert not any(key.startswith("reports/") for key in load)

    for run_id in runs:
        kinds = [
            kind
            for (kind,) in deployment.query(
                "SELECT dagster_event_type FROM event_logs WHERE run_id = %s AND dagster_event_type IS NOT NULL "
                "ORDER BY id",
                (run_id,),
            )
        ]
        milestones = [
            k
            for k in kinds
            if k in {"PIPELINE_ENQUEUED", "PIPELINE_START", "PIPELINE_SUCCESS", "PIPELINE_FAILURE", "PIPELINE_CANCELED"}
        ]
        assert milestones == ["PIPELINE_ENQUEUED", "PIPELINE_START", "PIPELINE_SUCCESS"], (run_id, milestones)
        assert "ASSET_CHECK_EVALUATION" in kinds
    (checked,) = deployment.query(
        "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_CHECK_EVALUATION' "
        "AND event LIKE %s",
        (deployment.launched["refresh_all"], "%every_row_accounted_for%"),
    )[0]
    assert checked == 1


def test_the_warehouse_and_the_reports_exist_after(deployment):
    warehouse = Path(deployment.env["WAREHOUSE_PATH"])
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        regions = conn.execute("SELECT DISTINCT region_code FROM marts.region_sustainability").fetchall()
        loaded = conn.execute("SELECT rows_loaded FROM audit.load_summary WHERE source = 'transactions'").fetchone()
    assert {r for (r,) in regions} >= {"EU"}
    assert loaded == (1,)
    pdfs = sorted(
        p.relative_to(deployment.env["REPORTS_DIR"]).as_posix()
        for p in Path(deployment.env["REPORTS_DIR"]).rglob("*.pdf")
    )
    assert pdfs == ["2025/EU.pdf", "2025/partnership-sustainability-2025.pdf"]
    assert all((Path(deployment.env["REPORTS_DIR"]) / p).read_bytes().startswith(b"%PDF-") for p in pdfs)
