"""Shared fixtures for every test folder."""

from pathlib import Path

import pytest

from package_fixture import write_package


@pytest.fixture
def package(tmp_path: Path):
    """Call with overrides/extra to get a package folder: `package(extra={...})`."""
    return lambda overrides=None, extra=None: write_package(tmp_path / "package", overrides, extra)

