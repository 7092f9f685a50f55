"""The instance configurations validate against Dagster's own config schema."""

import shutil

import pytest
import yaml
from dagster import DagsterInstance
from dagster._config import process_config
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster_postgres import DagsterPostgresStorage

from pipelines.settings import PROJECT_ROOT

POSTGRES_ENV = {"DAGSTER_PG_HOST": "db.internal", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_DB": "dagster",
                "DAGSTER_PG_USERNAME": "dagster", "DAGSTER_PG_PASSWORD": "secret"}


def home_with(tmp_path, source):
    shutil.copy(source, tmp_path / "dagster.yaml")
    return str(tmp_path)


def test_local_instance_queues_runs_one_at_a_time(tmp_path):
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(home_with(tmp_path, PROJECT_ROOT / "dagster.yaml")))
    try:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert not instance.telemetry_enabled
    finally:
        instance.dispose()


def test_postgres_example_validates_and_reads_credentials_from_the_environment(tmp_path, monkeypatch):
    for name, value in POSTGRES_ENV.items():
        monkeypatch.setenv(name, value)
    config, _ = dagster_instance_config(home_with(tmp_path, PROJECT_ROOT / "deploy" / "dagster.postgres.yaml"))
    storage = process_config(DagsterPostgresStorage.config_type(), config["storage"]["postgres"])
    assert storage.success, storage.errors
    assert storage.value["postgres_db"]["hostname"] == "db.internal"
    assert storage.value["postgres_db"]["port"] == 5432
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
    ref = InstanceRef.from_dir(str(tmp_path))  # what webserver and daemon build from it
    assert ref.storage_data.class_name == "DagsterPostgresStorage"
    assert ref.run_coordinator_data.class_name == "QueuedRunCoordinator"
    assert "secret" not in (PROJECT_ROOT / "deploy" / "dagster.postgres.yaml").read_text()


def test_schema_validation_is_real_a_misspelt_key_is_rejected(tmp_path):
    config = yaml.safe_load((PROJECT_ROOT / "deploy" / "dagster.postgres.yaml").read_text())
    config["concurrency"]["runs"]["max_concurent_runs"] = config["concurrency"]["runs"].pop("max_concurrent_runs")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(DagsterInvalidConfigError, match="max_concurent_runs"):
        dagster_instance_config(str(tmp_path))
