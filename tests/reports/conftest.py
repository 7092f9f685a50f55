"""Report fixtures, session-scoped: each PDF is rendered once for all the tests."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from dagster import AssetCheckResult, AssetKey, DagsterInstance, asset, asset_check, materialize
from pypdf import PdfReader
from report_warehouse_fixture import build_fixture_warehouse

from pipelines.reports.assets import ReportsResource, global_report, region_reports
from pipelines.warehouse import WarehouseResource

ISOLATES = re.compile("[\u2066-\u2069]")


def pdf_text(pdf: Path | bytes) -> str:
    """All text of a PDF, isolate marks removed, whitespace collapsed to single spaces."""
    reader = PdfReader(pdf if isinstance(pdf, Path) else io.BytesIO(pdf))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", ISOLATES.sub("", text))


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory) -> Path:
    return build_fixture_warehouse(tmp_path_factory.mktemp("warehouse") / "fixture.duckdb")


@asset(key=AssetKey(["audit", "load_summary"]))
def stub_load_summary() -> None:
    """Stands in for the ingest asset: the fixture warehouse already holds the table."""


@asset_check(asset=stub_load_summary, description="Rows read = rows loaded + rows rejected.")
def stub_rows_balance() -> AssetCheckResult:
    return AssetCheckResult(passed=False)


@pytest.fixture(scope="session")
def materialized(warehouse_path, tmp_path_factory):
    """Both report assets materialised against the fixture warehouse (default period),
    after a stand-in upstream asset whose check fails, for the data quality appendix."""
    reports_dir = tmp_path_factory.mktemp("reports")
    result = materialize(
        [stub_load_summary, stub_rows_balance, global_report, region_reports],
        instance=DagsterInstance.ephemeral(),
        resources={
            "warehouse": WarehouseResource(path=str(warehouse_path)),
            "reports": ReportsResource(reports_dir=str(reports_dir), organisation="Test Federation"),
        },
    )
    assert result.success  # a failed check does not fail the run
    return result, reports_dir
