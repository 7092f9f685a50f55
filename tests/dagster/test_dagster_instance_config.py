"""The instance configurations: the local one queues runs one at a time; the production one
takes every credential from the environment. That the production file works — webserver,
daemon and runs on a real PostgreSQL — is tests/production/test_production_path.py."""

import shutil

import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from sqlalchemy.engine import make_url

from pipelines.settings import PROJECT_ROOT

POSTGRES_YAML = PROJECT_ROOT / "deploy" / "dagster.postgres.yaml"


def test_local_instance_queues_runs_one_at_a_time(tmp_path):
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path)))
    try:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert not instance.telemetry_enabled
    finally:
        instance.dispose()


def test_postgres_example_takes_every_credential_from_the_environment():
    database = yaml.safe_load(POSTGRES_YAML.read_text())["storage"]["postgres"]["postgres_db"]
    assert {key: value for key, value in database.items() if key != "scheme"} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "username": {"env": "DAGSTER_PG_USERNAME"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
    }


def test_postgres_example_names_a_driver_that_is_installed():
    """SQLAlchemy imports the driver the URL's scheme names; a plain postgresql:// would need
    psycopg 3 (docs/production.md, "The driver")."""
    scheme = yaml.safe_load(POSTGRES_YAML.read_text())["storage"]["postgres"]["postgres_db"]["scheme"]
    dialect = make_url(f"{scheme}://user@host/db").get_dialect()
    assert dialect.driver == "psycopg2"
    dialect.import_dbapi()  # ModuleNotFoundError when the lock lacks it
