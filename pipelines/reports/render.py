"""Report data -> HTML (Jinja2, autoescaped) -> PDF (WeasyPrint, tagged PDF/UA-1).

`render_global_report` and `render_region_report` are plain functions: tests and the
benchmark call them without Dagster.
"""

from __future__ import annotations

import html
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from pipelines.collector import collector_paused
from pipelines.reports import charts, insight
from pipelines.reports.data import ReportData
from pipelines.reports.fetcher import TemplateOnlyURLFetcher
from pipelines.reports.findings import key_findings, period_label
from pipelines.reports.formatting import FILTERS, SPENDING_NOT_RECORDED, pct
from pipelines.settings import TEMPLATES_DIR

# Tagged PDF for screen readers. PDF/UA-1 works in WeasyPrint 70 with real <table>,
# <th scope>, alt text on every image and <html lang>; see docs/reports.md.
PDF_VARIANT = "pdf/ua-1"
NOTDEF = ".notdef glyph rendered"


@dataclass
class RenderedReport:
    pdf: bytes
    pages: int
    seconds: float
    missing_glyphs: list[str] = field(default_factory=list)  # "'X' (U+0058) in: <text>"
    refused_urls: list[str] = field(default_factory=list)
    fetched_urls: list[str] = field(default_factory=list)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template, whatever its name: all data is untrusted text
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals["SPENDING_NOT_RECORDED"] = SPENDING_NOT_RECORDED
    env.globals.update(insight.TEMPLATE_GLOBALS)
    return env


ENV = _environment()


def _region_section(data: ReportData, row: dict, colour: str) -> dict:
    code = row["region_code"]
    partners = data.partners.get(code, [])
    quarters = data.quarters.get(code, [])
    top = next((p for p in partners if p["partner_id"] == row["top_funder_id"]), None)
    return {
        "row": row,
        "colour": colour,
        "top_funder_name": top["partner_name"] if top else row["top_funder_id"],
        "quarters": quarters,
        "quarter_chart": charts.data_uri(charts.quarter_chart(quarters, colour, data.currency)) if quarters else None,
        "funder_chart": charts.data_uri(charts.funder_chart(partners, colour))
        if any(p["support_eur"] and p["support_eur"] > 0 for p in partners)
        else None,
        "support_mix": data.support_mix.get(code, []),
        "expiring": data.expiring.get(code, []),
        "partners": partners,
    }


def period_notes(data: ReportData) -> list[str]:
    """What the reader must know about the period itself: empty years the default skipped,
    or a period (asked for by name) in which nothing is recorded."""
    notes = []
    if data.skipped_sentence:
        notes.append(
            f"{data.skipped_sentence} This report covers {period_label(data.period)}, "
            "the latest complete year with any."
        )
    if not data.has_money_or_activity:
        notes.append(
            f"No support, expenditure or activity is recorded in {period_label(data.period)}: "
            "the figures below are empty, not results."
        )
    return notes


def _min_spending_share(data: ReportData) -> str | None:
    value = data.setting("min_spending_share")
    return None if value is None else pct(float(value))


def _common(data: ReportData, organisation: str, generated_at: datetime) -> dict:
    return {
        "data": data,
        "organisation": organisation,
        "period_label": period_label(data.period),
        "period_notes": period_notes(data),
        "min_spending_share": _min_spending_share(data),
        "generated_at": generated_at,
        "currency": data.currency,
    }


def global_report_html(
    data: ReportData, organisation: str, generated_at: datetime, check_results: list[dict] | None
) -> str:
    colours = charts.region_colours(list(data.region_names))
    sections = [_region_section(data, row, colours[row["region_code"]]) for row in data.regions]
    return ENV.get_template("global.html").render(
        **_common(data, organisation, generated_at),
        title=f"Partnership sustainability {period_label(data.period)}",
        findings=key_findings(data),
        sections=sections,
        colours=colours,
        stress_chart=charts.data_uri(charts.stress_chart(data.regions, colours)) if data.regions else None,
        check_results=check_results,
        insight=insight.global_context(data, colours, generated_at.date()),
    )


def region_report_html(data: ReportData, region_code: str, organisation: str, generated_at: datetime) -> str:
    row = data.region(region_code)
    colours = charts.region_colours(list(data.region_names))
    return ENV.get_template("region.html").render(
        **_common(data, organisation, generated_at),
        title=f"{row['region_name']}: partnership sustainability {period_label(data.period)}",
        section=_region_section(data, row, colours[region_code]),
        insight=data.insight,
        region_insight=insight.region_context(data, region_code, colours[region_code], generated_at.date())
        if data.insight.available
        else None,
    )


class _WarningCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def _texts_with(char: str, page_html: str) -> list[str]:
    """The visible text runs of the HTML that contain `char` (to name a missing glyph)."""
    runs = (html.unescape(run).strip() for run in re.split(r"<[^>]*>", page_html))
    return sorted({run for run in runs if char in run})


@cache
def _font_config() -> FontConfiguration:
    """One font configuration per process, shared by its reports: building one (the
    system's fonts through fontconfig) cost about 7 % of a region report's CPU. The
    stylesheet declares no @font-face, so nothing of one report stays in it for the next."""
    return FontConfiguration()


def html_to_pdf(page_html: str) -> RenderedReport:
    started = time.perf_counter()
    fetcher = TemplateOnlyURLFetcher(TEMPLATES_DIR)
    collector = _WarningCollector()
    weasy_log = logging.getLogger("weasyprint")
    weasy_log.addHandler(collector)
    try:
        document = HTML(string=page_html, base_url=str(TEMPLATES_DIR) + "/", url_fetcher=fetcher).render(
            pdf_variant=PDF_VARIANT, font_config=_font_config()
        )
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    finally:
        weasy_log.removeHandler(collector)
    missing = []
    for record in collector.records:
        if record.getMessage().startswith(NOTDEF):
            char = record.args[0]
            where = "; ".join(_texts_with(char, page_html)) or "(text not found)"
            missing.append(f"{char!r} (U+{ord(char):04X}) in: {where}")
    return RenderedReport(
        pdf=pdf,
        pages=len(document.pages),
        seconds=time.perf_counter() - started,
        missing_glyphs=sorted(set(missing)),
        refused_urls=fetcher.refused,
        fetched_urls=fetcher.served,
    )


def render_global_report(
    data: ReportData, organisation: str, generated_at: datetime, check_results: list[dict] | None = None
) -> RenderedReport:
    with collector_paused():
        return html_to_pdf(global_report_html(data, organisation, generated_at, check_results))


def render_region_report(
    data: ReportData, region_code: str, organisation: str, generated_at: datetime
) -> RenderedReport:
    with collector_paused():
        return html_to_pdf(region_report_html(data, region_code, organisation, generated_at))
