"""The bundled sample loaded once into a warehouse, for the tests that need real volumes."""

import shutil
from pathlib import Path

import pytest
from package_fixture import SAMPLE_DIR

from pipelines.ingest.load import load_package
from pipelines.warehouse import connect


@pytest.fixture(scope="session")
def loaded_sample(tmp_path_factory) -> Path:
    """A warehouse holding the sample's staging tables (no marts yet). Copy before writing."""
    path = tmp_path_factory.mktemp("sample") / "staged.duckdb"
    with connect(path) as conn:
        load_package(SAMPLE_DIR, conn, "EUR")
    return path


@pytest.fixture
def sample_warehouse(loaded_sample, tmp_path) -> Path:
    """A private copy of the loaded sample that a test may change."""
    return Path(shutil.copy(loaded_sample, tmp_path / "warehouse.duckdb"))
