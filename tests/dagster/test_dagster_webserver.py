"""Through a real client: `dagster dev` (webserver + daemon, as `make ui` starts it) on a
free loopback port, with the project's dagster.yaml in a temporary DAGSTER_HOME and a
temporary package and warehouse; the tests talk to it over GraphQL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from loopback import free_port, graphql
from package_fixture import write_package

from pipelines.definitions import project_assets
from pipelines.ingest.checks import FOREIGN_KEYS
from pipelines.settings import PROJECT_ROOT

STARTUP_SECONDS = 60
RUNS_SECONDS = 60
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


class Server:
    def __init__(self, url: str, process: subprocess.Popen, log: Path):
        self.url, self.process, self.log = url, process, log

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        return graphql(self.url, query, variables)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dagster_dev")
    home = tmp / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = dict(
        os.environ,
        DAGSTER_HOME=str(home),
        PARTNER_DATA_DIR=str(write_package(tmp / "package")),
        WAREHOUSE_PATH=str(tmp / "warehouse.duckdb"),
        REPORTS_DIR=str(tmp / "reports"),
    )
    port = free_port()
    log = tmp / "dagster_dev.log"
    process = subprocess.Popen(
        # As `make ui` starts it: the code location comes from [tool.dagster] in pyproject.toml.
        [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the code server and daemon stop with it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"dagster dev exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"dagster dev did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield Server(url, process, log)
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the whole group, then SIGKILL (dagster dev can hang while shutting down)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


ASSET_NODES = """{ assetNodes { assetKey { path } groupName description kinds
  owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
  assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }"""

REPOSITORY = """{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name }
  jobs { name } schedules { name cronSchedule scheduleState { status } }
  sensors { name sensorState { status } } } } } }"""

LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""

RUNS = "{ runsOrError { ... on Runs { results { runId jobName status startTime endTime } } } }"


def test_every_asset_is_served_with_its_group_description_and_owner(server):
    served = {"/".join(n["assetKey"]["path"]): n for n in server.graphql(ASSET_NODES)["assetNodes"]}
    expected = {a.to_user_string(): spec for d in project_assets() for a, spec in d.specs_by_key.items()}
    assert set(expected) == set(served)  # every dependency is an asset of the project
    for key, node in served.items():
        assert node["groupName"] == expected[key].group_name, key
        assert node["description"], f"{key} has no description"
        assert node["kinds"], f"{key} has no kinds"
        assert node["owners"], f"{key} has no owner"
    assert served["staging/agreements"]["groupName"] == "ingest"
    assert {"duckdb"} <= set(served["staging/agreements"]["kinds"])


def test_checks_are_served_on_the_assets_they_guard(server):
    checks = {
        ("/".join(n["assetKey"]["path"]), c["name"]): c["blocking"]
        for n in server.graphql(ASSET_NODES)["assetNodes"]
        for c in n["assetChecksOrError"]["checks"]
    }
    assert checks[("audit/load_summary", "every_row_accounted_for")] is True
    for table in {fk[0] for fk in FOREIGN_KEYS}:
        assert checks[(f"staging/{table}", "foreign_keys_resolve")] is True
    assert checks[("staging/transactions", "amounts_converted")] is True
    assert checks[("marts/region_sustainability", "score_within_0_100")] is True
    assert checks[("marts/region_sustainability", "every_region_present")] is True
    assert checks[("marts/region_support_mix", "shares_sum_to_one")] is True
    assert checks[("reports/global_report", "every_glyph_rendered")] is False


def test_jobs_schedule_and_sensors_are_served_and_on(server):
    (repository,) = server.graphql(REPOSITORY)["repositoriesOrError"]["nodes"]
    assert repository["location"]["name"] == "partner_reports"
    assert {"refresh_all", "load_package"} <= {j["name"] for j in repository["jobs"]}
    schedules = {s["name"]: s for s in repository["schedules"]}
    assert schedules["quarterly_reports"]["cronSchedule"] == "0 6 1 1,4,7,10 *"
    assert schedules["quarterly_reports"]["scheduleState"]["status"] == "RUNNING"
    sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
    assert sensors == {
        "partner_package_changed": "RUNNING",
        "keep_marts_current": "RUNNING",
        "region_partitions": "RUNNING",
    }


def test_two_runs_launched_at_once_both_succeed_one_after_another(server):
    """Both load the same warehouse file; the run queue (dagster.yaml) must start the second
    only when the first has finished, or DuckDB's file lock fails one of them. The sensor's
    own first load of the package, if it has started by now, joins the queue too."""
    (repository,) = server.graphql(REPOSITORY)["repositoriesOrError"]["nodes"]
    params = {
        "selector": {
            "repositoryLocationName": repository["location"]["name"],
            "repositoryName": repository["name"],
            "jobName": "load_package",
        },
        "runConfigData": {},
    }
    launched = [server.graphql(LAUNCH, {"params": params})["launchRun"] for _ in range(2)]
    assert [r["__typename"] for r in launched] == ["LaunchRunSuccess"] * 2, launched
    ours = {r["run"]["runId"] for r in launched}

    deadline = time.monotonic() + RUNS_SECONDS
    while True:
        runs = server.graphql(RUNS)["runsOrError"]["results"]
        if all(r["status"] in TERMINAL for r in runs) and ours <= {r["runId"] for r in runs}:
            break
        assert time.monotonic() < deadline, f"runs still going after {RUNS_SECONDS} s: {runs}"
        time.sleep(1)

    assert [r["status"] for r in runs] == ["SUCCESS"] * len(runs), f"{runs}\n{server.log.read_text()[-3000:]}"
    spans = sorted((r["startTime"], r["endTime"]) for r in runs)
    for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False):
        assert next_start >= end, f"runs overlapped: {spans}"
