"""deploy/dagster.docker.yaml: the instance of webserver, daemon and runs when each run
starts in its own Docker container (docs/production.md, "Past one machine").

There is no Docker engine on the machines that run the tests, so the launch goes to a
small stand-in of the Docker Engine API on loopback: the real `DockerRunLauncher`, built
by Dagster from the file with its storage in the real test PostgreSQL, talks to it through
the real docker client, and the tests read what it asked Docker to create.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from dagster import DagsterInstance
from dagster._config import process_config
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster._core.launcher import LaunchRunContext
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from dagster_docker import DockerRunLauncher

from pipelines.automation import WRITES_WAREHOUSE, jobs
from pipelines.settings import PROJECT_ROOT

DOCKER_YAML = PROJECT_ROOT / "deploy" / "dagster.docker.yaml"
IMAGE = "registry.example.org/partner-reports:1"
NETWORK = "partner-reports-net"
# What a run in a container needs to reach Dagster's storage, the DuckLake warehouse,
# the package and the reports' folder.
RUN_NEEDS = {
    "DAGSTER_PG_HOST",
    "DAGSTER_PG_PORT",
    "DAGSTER_PG_DB",
    "DAGSTER_PG_USERNAME",
    "DAGSTER_PG_PASSWORD",
    "WAREHOUSE_CATALOG",
    "WAREHOUSE_DATA_PATH",
    "PARTNER_DATA_DIR",
    "REPORTS_DIR",
    "REPORTING_CURRENCY",
}
CATALOG_SECRET = "catalog-password-never-in-a-file"


class DockerEngineStandIn(BaseHTTPRequestHandler):
    """The four Docker Engine API calls a launch makes: version, create, inspect, start."""

    created: list[dict] = []
    started: list[str] = []

    def _answer(self, status: int, body: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        if self.path.endswith("/version"):
            return self._answer(200, {"ApiVersion": "1.43", "Version": "24.0.0"})
        found = re.search(r"/containers/([^/]+)/json$", self.path)
        if found:
            return self._answer(200, {"Id": found.group(1), "State": {"Status": "created"}})
        return self._answer(404, {"message": f"not in the stand-in: GET {self.path}"})

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if re.search(r"/containers/create", self.path):
            self.created.append(json.loads(body))
            return self._answer(201, {"Id": f"c{len(self.created):011d}", "Warnings": []})
        found = re.search(r"/containers/([^/]+)/start$", self.path)
        if found:
            self.started.append(found.group(1))
            return self._answer(204)
        return self._answer(404, {"message": f"not in the stand-in: POST {self.path}"})

    def log_message(self, *args):
        pass


@pytest.fixture
def docker_engine(monkeypatch):
    DockerEngineStandIn.created, DockerEngineStandIn.started = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), DockerEngineStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{server.server_address[1]}")
    monkeypatch.delenv("DOCKER_TLS_VERIFY", raising=False)
    try:
        yield DockerEngineStandIn
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def docker_instance(tmp_path, monkeypatch, postgres_server):
    """The instance webserver and daemon build from a copy of deploy/dagster.docker.yaml,
    with every variable it reads (and the runs need) set in the environment."""
    database = f"dagster_docker_{uuid.uuid4().hex[:8]}"
    postgres_server.create_database(database)
    env = {
        **postgres_server.env(database),
        "PARTNER_REPORTS_IMAGE": IMAGE,
        "PARTNER_REPORTS_DOCKER_NETWORK": NETWORK,
        "WAREHOUSE_CATALOG": f"postgresql://lake:{CATALOG_SECRET}@db.internal:5432/lake",
        "WAREHOUSE_DATA_PATH": "/srv/partner-reports/lake",
        "PARTNER_DATA_DIR": "/srv/partner-reports/package",
        "REPORTS_DIR": "/srv/partner-reports/reports",
        "REPORTING_CURRENCY": "EUR",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DOCKER_YAML, home / "dagster.yaml")
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    try:
        yield instance, env
    finally:
        instance.dispose()


def queued_run(instance: DagsterInstance, job_name: str) -> DagsterRun:
    """A run of `job_name` as the daemon hands it to the launcher, with the code location
    of deploy/workspace.yaml as its origin."""
    origin = JobPythonOrigin(
        job_name,
        RepositoryPythonOrigin(
            executable_path=sys.executable,
            code_pointer=ModuleCodePointer("pipelines.definitions", "defs", working_directory=None),
        ),
    )
    run = DagsterRun(
        job_name=job_name, run_id=str(uuid.uuid4()), job_code_origin=origin, status=DagsterRunStatus.STARTING
    )
    return instance.add_run(run)


def test_the_launcher_config_validates_against_dagster_dockers_schema(monkeypatch):
    monkeypatch.setenv("PARTNER_REPORTS_IMAGE", IMAGE)
    monkeypatch.setenv("PARTNER_REPORTS_DOCKER_NETWORK", NETWORK)
    launcher = yaml.safe_load(DOCKER_YAML.read_text())["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_docker", "DockerRunLauncher")
    processed = process_config(DockerRunLauncher.config_type(), launcher["config"])
    assert processed.success, processed.errors
    assert processed.value["image"] == IMAGE and processed.value["network"] == NETWORK

    misspelt = {**launcher["config"], "env_var": launcher["config"]["env_vars"]}
    assert not process_config(DockerRunLauncher.config_type(), misspelt).success


def test_runs_get_every_setting_by_name_and_no_value_is_in_the_file():
    config = yaml.safe_load(DOCKER_YAML.read_text())
    forwarded = config["run_launcher"]["config"]["env_vars"]
    assert set(forwarded) >= RUN_NEEDS
    assert all("=" not in name for name in forwarded), "a value written into the file"
    database = config["storage"]["postgres"]["postgres_db"]
    assert {k: v for k, v in database.items() if k != "scheme"} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "username": {"env": "DAGSTER_PG_USERNAME"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
    }
    launcher = config["run_launcher"]["config"]
    assert launcher["image"] == {"env": "PARTNER_REPORTS_IMAGE"}
    assert "registry" not in launcher  # registry credentials: the Docker hosts' own login


def test_instance_builds_the_docker_launcher_on_postgres_with_writers_one_at_a_time(docker_instance):
    instance, _ = docker_instance
    launcher = instance.run_launcher
    assert isinstance(launcher, DockerRunLauncher)
    assert launcher.image == IMAGE and launcher.networks == [NETWORK]
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    queue = instance.get_concurrency_config().run_queue_config
    assert queue.max_concurrent_runs > 1  # region partitions run side by side
    [limit] = [t for t in queue.tag_concurrency_limits if t["key"] == "partner_reports/writes"]
    assert (limit["value"], limit["limit"]) == ("warehouse", 1)
    # the tag the limit counts is the one the writing jobs carry
    assert {job.name: job.tags.get("partner_reports/writes") for job in jobs()} == {
        "refresh_all": WRITES_WAREHOUSE["partner_reports/writes"],
        "load_package": WRITES_WAREHOUSE["partner_reports/writes"],
    }


def test_a_launch_asks_docker_for_a_container_with_the_image_network_volume_and_settings(
    docker_instance, docker_engine
):
    instance, env = docker_instance
    run = queued_run(instance, "refresh_all")
    instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))

    [created] = docker_engine.created
    assert docker_engine.started == ["c00000000001"]
    assert created["Image"] == IMAGE
    assert created["HostConfig"]["NetworkMode"] == NETWORK
    assert "partner-reports-shared:/srv/partner-reports" in created["HostConfig"]["Binds"]
    environment = dict(item.split("=", 1) for item in created["Env"])
    assert {name: environment[name] for name in RUN_NEEDS} == {name: env[name] for name in RUN_NEEDS}
    # the container runs this run, and finds the instance through the forwarded variables:
    # no password is in its command line (`docker inspect` shows it to anyone)
    # (the daemon's Python: the daemon runs from the same image, docs/production.md)
    *command, arguments = created["Cmd"]
    assert command == [sys.executable, "-m", "dagster", "api", "execute_run"]
    assert run.run_id in arguments
    assert env["DAGSTER_PG_PASSWORD"] not in arguments and CATALOG_SECRET not in arguments
    assert "DAGSTER_PG_PASSWORD" in arguments
    assert created["Labels"]["dagster/run_id"] == run.run_id
    assert instance.get_run_by_id(run.run_id).tags["docker/container_id"] == "c00000000001"


def test_a_setting_missing_in_the_daemons_environment_stops_the_launch_naming_it(
    docker_instance, docker_engine, monkeypatch
):
    instance, _ = docker_instance
    monkeypatch.delenv("WAREHOUSE_DATA_PATH")
    with pytest.raises(Exception, match="WAREHOUSE_DATA_PATH"):
        instance.run_launcher.launch_run(
            LaunchRunContext(dagster_run=queued_run(instance, "load_package"), workspace=None)
        )
    assert docker_engine.created == []


def test_the_instance_file_is_dagsters_own_schema(tmp_path, monkeypatch):
    """The whole file (not only the launcher) passes Dagster's instance schema."""
    monkeypatch.setenv("PARTNER_REPORTS_IMAGE", IMAGE)
    shutil.copy(DOCKER_YAML, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["run_launcher"]["class"] == "DockerRunLauncher"
