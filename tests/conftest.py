"""Shared fixtures for every test folder."""

from pathlib import Path

import pytest
from package_fixture import write_package


@pytest.fixture
def package(tmp_path: Path):
    """Call with overrides/extra to get a package folder: `package(extra={...})`."""
    return lambda overrides=None, extra=None: write_package(tmp_path / "package", overrides, extra)


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server on loopback for the whole test session (tests/postgres_server.py).
    Each test that uses it creates its own database: `postgres_server.create_database(name)`."""
    from postgres_server import PostgresServer

    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()
