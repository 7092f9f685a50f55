"""Report fixtures, session-scoped: each PDF is rendered once for all the tests."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize
from pypdf import PdfReader

from pipelines.reports.assets import ReportsResource, global_report, region_reports
from pipelines.warehouse import WarehouseResource
from report_warehouse_fixture import build_fixture_warehouse

ISOLATES = re.compile("[\u2066-\u2069]")


def pdf_text(pdf: Path | bytes) -> str:
    """All text of a PDF, isolate marks removed, whitespace collapsed to single spaces."""
    reader = PdfReader(pdf if isinstance(pdf, Path) else io.BytesIO(pdf))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", ISOLATES.sub("", text))


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory) -> Path:
    return build_fixture_warehouse(tmp_path_factory.mktemp("warehouse") / "fixture.duckdb")


@pytest.fixture(scope="session")
def materialized(warehouse_path, tmp_path_factory):
    """Both report assets materialised against the fixture warehouse (default period)."""
    reports_dir = tmp_path_factory.mktemp("reports")
    result = materialize(
        [global_report, region_reports],
        instance=DagsterInstance.ephemeral(),
        resources={
            "warehouse": WarehouseResource(path=str(warehouse_path)),
            "reports": ReportsResource(reports_dir=str(reports_dir), organisation="Test Federation"),
        },
    )
    assert result.success
    return result, reports_dir
