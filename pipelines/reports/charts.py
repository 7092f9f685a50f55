"""Charts as SVG, embedded in the HTML as data: URLs.

Plain labels (Latin, Greek, Cyrillic; every axis number) are SVG <text>, which WeasyPrint
sets in the report's fonts; labels in other scripts are outlines (svg.fonttype 'path'),
shaped by matplotlib 3.11 itself, because WeasyPrint re-lays out <text> with its own
metrics and right-aligned Arabic labels were clipped (svg_text.py). Every chart has alt
text and its numbers are also in a table.
"""

from __future__ import annotations

import base64

import matplotlib

# Figure objects without pyplot: no global backend or figure registry is touched.
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from pipelines.reports.formatting import SPENDING_NOT_RECORDED, short
from pipelines.reports.svg_text import figure_svg

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
REGION_PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]
EXPENDITURE_COLOUR = "#9A9A9A"
TEXT_COLOUR = "#333333"
LABEL_CHARS = 34

RC = {
    "svg.fonttype": "path",
    "svg.hashsalt": "partner-reports",  # stable element ids: same data, same SVG
    "font.family": ["Noto Sans", "Noto Sans Arabic", "Noto Sans CJK SC", "DejaVu Sans"],
    "font.size": 8,
    "axes.edgecolor": "#BBBBBB",
    "axes.labelcolor": TEXT_COLOUR,
    "xtick.color": TEXT_COLOUR,
    "ytick.color": TEXT_COLOUR,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def region_colours(region_codes: list[str]) -> dict[str, str]:
    """One colour per region, by sorted code, so every chart and report agrees."""
    return {code: REGION_PALETTE[i % len(REGION_PALETTE)] for i, code in enumerate(sorted(region_codes))}


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _svg(fig: Figure) -> str:
    return figure_svg(fig)


def _short(text: str) -> str:
    """A chart label: at most LABEL_CHARS characters (the warehouse keeps the whole name)."""
    return short(text, LABEL_CHARS)


def _thousands(value, _pos) -> str:
    return "0" if value == 0 else f"{value / 1000:,.0f} k"


def quarter_chart(quarters: list[dict], colour: str, currency: str) -> str:
    """Support vs expenditure, one pair of bars per quarter."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.3, 2.0))
        ax = fig.add_subplot()
        x = range(len(quarters))
        support = [float(q["support_eur"] or 0) for q in quarters]
        spent = [float(q["expenditure_eur"] or 0) for q in quarters]
        ax.bar([i - 0.2 for i in x], support, width=0.38, color=colour, label="Support")
        ax.bar([i + 0.2 for i in x], spent, width=0.38, color=EXPENDITURE_COLOUR, label="Expenditure")
        ax.set_xticks(list(x), [q["period"] for q in quarters])
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_ylabel(currency)
        ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _svg(fig)


def funder_chart(partners: list[dict], colour: str, limit: int = 8) -> str:
    """Each funder's share of the region's support, largest first (top `limit`)."""
    funders = [p for p in partners if p["support_eur"] is not None and p["support_eur"] > 0]
    funders = sorted(funders, key=lambda p: (-p["share"], p["partner_name"]))[:limit]
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.3, 0.35 * len(funders) + 0.5))
        ax = fig.add_subplot()
        y = list(range(len(funders)))[::-1]
        ax.barh(y, [p["share"] for p in funders], color=colour, height=0.6)
        ax.set_yticks(y, [_short(p["partner_name"]) for p in funders])
        for label in ax.get_yticklabels():
            label.set_parse_math(False)  # a '$' in a partner name is text, not TeX
        for yi, p in zip(y, funders, strict=True):
            ax.text(
                p["share"] + 0.01, yi, f"{p['share'] * 100:.0f} %", va="center", color=TEXT_COLOUR, parse_math=False
            )
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlim(0, max(1.0, max(p["share"] for p in funders) + 0.1) if funders else 1.0)
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
        ax.set_axisbelow(True)
        return _svg(fig)


def stress_chart(regions: list[dict], colours: dict[str, str]) -> str:
    """Runway with and without each region's top funder, side by side."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.3, 0.45 * len(regions) + 0.7))
        ax = fig.add_subplot()
        y = list(range(len(regions)))[::-1]
        for yi, r in zip(y, regions, strict=True):
            colour = colours[r["region_code"]]
            with_top, without = r["runway_months"], r["runway_without_top_funder_months"]
            if r.get("spending_figures_withheld"):  # the marts keep a runway that means nothing
                ax.text(0.1, yi, SPENDING_NOT_RECORDED, va="center", color=TEXT_COLOUR, fontsize=7)
                continue
            if with_top is None:
                ax.text(0.1, yi, "n/a (no expenditure to burn)", va="center", color=TEXT_COLOUR, fontsize=7)
                continue
            ax.barh(yi + 0.18, with_top, height=0.34, color=colour)
            ax.barh(yi - 0.18, without or 0, height=0.34, color="white", edgecolor=colour, hatch="////", linewidth=0.8)
        ax.set_yticks(y, [_short(r["region_name"]) for r in regions])
        for label in ax.get_yticklabels():
            label.set_parse_math(False)
        ax.set_xlabel("months of committed runway")
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(
            handles=[
                Patch(color="#777777", label="all funders"),
                Patch(facecolor="white", edgecolor="#777777", hatch="////", label="without the top funder"),
            ],
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
        )
        return _svg(fig)
