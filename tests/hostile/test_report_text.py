"""Hostile names in the reports (issue 13): a 10,000-character name is shortened so the
figure columns stay on the page; a character no report font can draw fails the run."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import duckdb
from package_fixture import VALID_ROWS
from pypdf import PdfReader

from pipelines.cli import main
from pipelines.ingest.load import load_package
from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.marts import read_staging_frames, write_marts
from pipelines.metrics.settings import MetricSettings
from pipelines.reports.data import load_report_data
from pipelines.reports.render import html_to_pdf, region_report_html

LONG = "W" * 10_000  # no space to break at


def rendered_region(folder, region: str = "EU"):
    conn = duckdb.connect()
    load_package(folder, conn)
    settings = MetricSettings()
    write_marts(conn, compute_region_metrics(read_staging_frames(conn), settings), settings)
    data = load_report_data(conn, "2025")
    return html_to_pdf(region_report_html(data, region, "Test", datetime(2026, 1, 15, tzinfo=UTC)))


def test_a_10000_character_name_keeps_the_figure_columns_on_the_page(package):
    partner = dict(VALID_ROWS["partners"][0], name=LONG)
    agreement = dict(VALID_ROWS["agreements"][0], title="T" * 5_000)
    report = rendered_region(package(overrides={"partners": [partner], "agreements": [agreement]}))
    reader = PdfReader(io.BytesIO(report.pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "W" * 79 + "…" in text.replace("\n", "")  # shortened with an ellipsis
    assert "W" * 81 not in text.replace("\n", "")
    # the partner list's row, every figure column on the page: type, support 90 (100 USD at
    # 0.9), share, last contact, agreements in force
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    partner_page = next(page for page in pages if "Agreements in force" in page)  # the header wraps
    assert "foundation 90 100 % 2025-03-05 1" in partner_page
    assert report.pages < 10


def test_a_character_without_a_glyph_fails_the_run_and_is_named(tmp_path, package, monkeypatch, capsys):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    partner = dict(VALID_ROWS["partners"][0], name="Fondation \U0001f984")
    folder = package(overrides={"partners": [partner]})
    code = main(
        [
            "run",
            "--data",
            str(folder),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--reports",
            str(tmp_path / "reports"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("partner-reports: error: check reports/")
    assert "every_glyph_rendered: 1 character(s) that no report font can draw" in line and "U+1F984" in line
