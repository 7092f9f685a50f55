"""The rendered PDFs, read back as a reader (or a screen reader) would."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import pdf_text
from pypdf import PdfReader
from report_warehouse_fixture import ARABIC_NAME, CHINESE_NAME, HOSTILE_NAME

from pipelines.reports.data import load_report_data
from pipelines.reports.render import html_to_pdf, region_report_html
from pipelines.settings import TEMPLATES_DIR

GENERATED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def data(warehouse_path):
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        return load_report_data(conn, "2025")


@pytest.fixture(scope="session")
def global_pdf(materialized) -> Path:
    _, reports_dir = materialized
    return reports_dir / "2025" / "partnership-sustainability-2025.pdf"


@pytest.fixture(scope="session")
def global_text(global_pdf) -> str:
    return pdf_text(global_pdf)


@pytest.fixture(scope="session")
def afr_rendered(data):
    """Africa's region report rendered directly, to see every URL WeasyPrint asked for."""
    return html_to_pdf(region_report_html(data, "AFR", "Test Federation", GENERATED))


def test_every_region_name_and_score_as_in_the_marts(global_text, warehouse_path):
    text = global_text
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        rows = conn.sql("""
            SELECT r.region_name, s.sustainability_score FROM marts.region_sustainability s
            JOIN staging.regions r USING (region_code) WHERE s.period = '2025'
        """).fetchall()
    assert len(rows) == 4
    for name, score in rows:
        assert name in text
        assert f"{name} {score:.1f}" in text  # the ranked table: name, then score


def test_key_finding_for_the_dependent_region_is_printed(global_text):
    assert (
        "Middle East & North Africa receives 78 % of its support from one funder; "
        "if it left, committed runway would fall from 9.0 to 2.0 months."
    ) in global_text


def test_hostile_partner_name_is_text_and_nothing_was_fetched(afr_rendered, global_text):
    assert HOSTILE_NAME in pdf_text(afr_rendered.pdf)
    assert HOSTILE_NAME in global_text  # in Africa's expiring commitments
    assert "Sponsorship <b>bold</b>" in pdf_text(afr_rendered.pdf)
    assert afr_rendered.refused_urls == []
    files = [u for u in afr_rendered.fetched_urls if not u.startswith("data:")]
    assert files == [(TEMPLATES_DIR / "style.css").as_uri()]


def test_arabic_and_chinese_names_render_with_real_glyphs(afr_rendered):
    text = pdf_text(afr_rendered.pdf)
    assert CHINESE_NAME in text
    assert ARABIC_NAME in text
    assert afr_rendered.missing_glyphs == []


def test_pdf_metadata_title_language_and_pdf_ua(global_pdf, afr_rendered):
    reader = PdfReader(global_pdf)
    assert reader.metadata.title == "Partnership sustainability 2025"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]  # tagged PDF
    assert b"pdfuaid:part" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    region = PdfReader(io.BytesIO(afr_rendered.pdf))
    assert region.metadata.title.replace("\u2068", "").replace("\u2069", "") == (
        "Africa: partnership sustainability 2025"
    )


def test_no_attachments(global_pdf, materialized):
    _, reports_dir = materialized
    for pdf in sorted((reports_dir / "2025").glob("*.pdf")):
        reader = PdfReader(pdf)
        assert reader.attachments == {}
        assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})


def test_page_counts_are_sane(global_pdf, materialized):
    # cover + summary + 2 pages per region (4) + stress test + 2 appendices = 13;
    # allow for layout drift but catch a blank or runaway document.
    assert 10 <= len(PdfReader(global_pdf).pages) <= 20
    _, reports_dir = materialized
    for code in ["AFR", "ASOC", "EUR", "MENA"]:
        assert 2 <= len(PdfReader(reports_dir / "2025" / f"{code}.pdf").pages) <= 6


def _outline_titles(outline) -> list[str]:
    titles = []
    for item in outline:
        if isinstance(item, list):
            titles += _outline_titles(item)
        else:
            titles.append(item.title.replace("\u2068", "").replace("\u2069", ""))
    return titles


def test_headings_become_bookmarks(global_pdf):
    titles = _outline_titles(PdfReader(global_pdf).outline)
    assert titles[:3] == ["Partnership sustainability 2025", "Executive summary", "Key findings"]
    for heading in [
        "Europe EUR",
        "Middle East & North Africa MENA",
        "Stress test: losing the top funder",
        "Appendix A: data quality",
        "Appendix B: methodology",
    ]:
        assert heading in titles
    assert "Contents" not in titles  # the cover's table of contents is not a section


def test_every_table_and_chart_names_its_warehouse_table(global_text):
    for table in [
        "marts.region_sustainability",
        "marts.region_support_mix",
        "marts.region_partner_support",
        "marts.region_expiring_commitments",
        "marts.metric_settings",
        "audit.load_summary",
        "audit.rejects",
    ]:
        assert f"Source: {table}" in global_text
    # One source line per table and chart: 7 in each of the 4 region sections (resources,
    # 2 charts, type mix, health, expiring, impact) + summary 2 (totals, ranking)
    # + stress test 2 + appendices 4 (load summary, rejects, asset checks, settings).
    assert global_text.count("Source: ") == 4 * 7 + 2 + 2 + 4


def test_partner_list_header_repeats_on_every_page(data):
    many = [
        dict(p, partner_id=f"P{i:03d}", partner_name=f"Partner number {i:03d}")
        for i, p in enumerate(data.partners["EUR"] * 20)
    ]  # 120 rows: several pages
    big = dataclasses.replace(data, partners={**data.partners, "EUR": many})
    rendered = html_to_pdf(region_report_html(big, "EUR", "Test Federation", GENERATED))
    reader = PdfReader(io.BytesIO(rendered.pdf))
    # a row of the list: name then type (the funder chart's labels have the names too)
    types = "|".join(re.escape(p["partner_type"]) for p in many)
    row = re.compile(rf"Partner number \d{{3}} ({types})")
    pages_with_rows = [p.extract_text() for p in reader.pages if row.search(" ".join(p.extract_text().split()))]
    assert len(pages_with_rows) >= 2
    for page in pages_with_rows:
        assert "Partner Type Support (EUR) Share Last contact" in " ".join(page.split())


def test_a_character_without_a_glyph_is_reported_with_its_text():
    html = '<html lang="en"><head><title>t</title></head><body><p>Partner \ue000 Ltd</p></body></html>'
    rendered = html_to_pdf(html)
    assert rendered.missing_glyphs == ["'\\ue000' (U+E000) in: Partner \ue000 Ltd"]


def test_a_quarter_report_with_sparse_marts_still_renders(warehouse_path):
    # The fixture's quarter rows carry only support and expenditure, and no partner,
    # mix or commitment rows: every optional part must say so instead of failing.
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        quarter = load_report_data(conn, "2025-Q3")
    assert quarter.period_type == "quarter"
    # the chart's four quarters ending 2025-09-30; the fixture starts in 2025-Q1
    assert [q["period"] for q in quarter.quarters["EUR"]] == ["2025-Q1", "2025-Q2", "2025-Q3"]
    rendered = html_to_pdf(region_report_html(quarter, "EUR", "Test Federation", GENERATED))
    text = pdf_text(rendered.pdf)
    assert "Europe: partnership sustainability Q3 2025" in text
    assert "No partner gave net support in this period." in text
    assert "No partner in marts.region_partner_support for this region and period." in text
    assert "Sustainability score n/a / 100" in text


def test_data_quality_appendix_shows_load_counts_rejects_and_check_results(global_text):
    # audit.load_summary fixture row: transactions.csv read 512, loaded 510, rejected 2.
    assert "transactions transactions.csv 512 510 2" in global_text
    # audit.rejects: two unknown_currency rows in transactions, one example message.
    assert "transactions unknown_currency 2 currency ABC is not ISO 4217" in global_text
    # The stand-in check ran before the report (it is upstream) and failed.
    assert (
        "audit/load_summary stub_rows_balance Rows read = rows loaded + rows rejected. failed this run"
    ) in global_text


def test_fixed_width_tables_keep_large_amounts_and_long_names_on_the_page(data):
    """The partner list and the expiring commitments have fixed column widths (style.css):
    an amount under a trillion and a name of 80 unbroken characters stay inside the page."""
    from weasyprint import HTML
    from weasyprint.formatting_structure.boxes import TextBox

    big = "999,999,999,999"
    partners = [dict(p, support_eur=Decimal("999999999999.00")) for p in data.partners["EUR"]]
    partners[0]["partner_name"] = "W" * 200
    expiring = [dict(e, remaining_eur=Decimal("999999999999.00"), title="T" * 200) for e in data.expiring["EUR"]]
    assert expiring, "the fixture's EUR region has commitments running out"
    wide = dataclasses.replace(
        data, partners={**data.partners, "EUR": partners}, expiring={**data.expiring, "EUR": expiring}
    )
    document = HTML(
        string=region_report_html(wide, "EUR", "Test Federation", GENERATED), base_url=str(TEMPLATES_DIR) + "/"
    ).render()
    seen = 0
    for page in document.pages:
        box = page._page_box
        right = box.margin_width() - box.margin_right
        for text in (b for b in box.descendants() if isinstance(b, TextBox)):
            assert text.position_x + text.width <= right + 0.5, f"{text.text!r} runs past the page"
            seen += text.text == big
    assert seen >= len(partners) + len(expiring)
