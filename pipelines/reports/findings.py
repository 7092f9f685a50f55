"""The executive summary's key findings: plain sentences built from mart values only.

Rules, in order of what a board needs to hear first; at most six sentences. Each
sentence restates numbers the marts hold (rounded), never a new calculation. A sentence
never rests on a figure the report withholds: runway, coverage and margin of a row with
`spending_figures_withheld` set, nor the flags and scores built on them.
"""

from __future__ import annotations

from pipelines.reports.data import ReportData
from pipelines.reports.formatting import (
    SPENDING_NOT_RECORDED,
    isolated,
    money_short,
    months,
    pct,
    shown_flags,
    spending_withheld,
)

MAX_FINDINGS = 6
MAX_DEPENDENT_REGIONS = 2


def period_label(period: str) -> str:
    """'2025' -> '2025'; '2025-Q3' -> 'Q3 2025'."""
    year, _, quarter = period.partition("-")
    return f"{quarter} {year}" if quarter else year


def _name(row: dict) -> str:
    return isolated(row["region_name"])


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def key_findings(data: ReportData) -> list[str]:
    if not data.has_money_or_activity:
        return [
            f"No support, expenditure or activity is recorded in {period_label(data.period)}: "
            "there is nothing to report for this period."
        ]
    findings = [_overall(data)]
    findings += _dependent_regions(data)
    findings += [s for s in (_score_range(data), _short_runway(data), _deficits(data), _low_renewal(data)) if s]
    return findings[:MAX_FINDINGS]


def _overall(data: ReportData) -> str:
    t = data.total
    sentence = (
        f"Across all regions the organisation received "
        f"{money_short(t['support_eur'], data.currency)} in support and spent "
        f"{money_short(t['expenditure_eur'], data.currency)} in {period_label(data.period)}"
    )
    if spending_withheld(t):
        sentence += f"; with {SPENDING_NOT_RECORDED}, runway and margin are not given"
    elif t["operating_margin"] is not None:
        sentence += f", an operating margin of {pct(t['operating_margin'])}"
    return sentence + "."


def _dependent_regions(data: ReportData) -> list[str]:
    dependent = sorted(
        (r for r in data.regions if "dominant_funder" in (r["risk_flags"] or [])),
        key=lambda r: (-r["top_funder_share"], r["region_code"]),
    )
    if not dependent:
        return ["No region receives more than half of its support from a single funder."]
    sentences = []
    for r in dependent[:MAX_DEPENDENT_REGIONS]:
        sentence = f"{_name(r)} receives {pct(r['top_funder_share'])} of its support from one funder"
        if (
            not spending_withheld(r)
            and r["runway_months"] is not None
            and r["runway_without_top_funder_months"] is not None
        ):
            sentence += (
                f"; if it left, committed runway would fall from "
                f"{months(r['runway_months'])} to "
                f"{months(r['runway_without_top_funder_months'])} months"
            )
        sentences.append(sentence + ".")
    return sentences


def _score_range(data: ReportData) -> str | None:
    # A withheld region's score includes its runway and margin: it is not compared.
    scored = [r for r in data.regions if r["sustainability_score"] is not None and not spending_withheld(r)]
    if len(scored) < 2:
        return None
    best, worst = scored[0], scored[-1]  # regions arrive ranked by score
    return (
        f"{_name(best)} has the strongest sustainability score "
        f"({best['sustainability_score']:.1f} of 100); {_name(worst)} the weakest "
        f"({worst['sustainability_score']:.1f})."
    )


def _short_runway(data: ReportData) -> str | None:
    short = [r for r in data.regions if "short_runway" in shown_flags(r)]
    if not short:
        return None
    parts = [f"{_name(r)} ({months(r['runway_months'])} months)" for r in short]
    return f"Committed runway is short in {_join(parts)}."


def _deficits(data: ReportData) -> str | None:
    deficit = [r for r in data.regions if "deficit" in shown_flags(r)]
    if not deficit:
        return None
    parts = [f"{_name(r)} (margin {pct(r['operating_margin'])})" for r in deficit]
    verb = "spends" if len(deficit) == 1 else "spend"
    return f"{_join(parts)} {verb} more than {'it receives' if len(deficit) == 1 else 'they receive'}."


def _low_renewal(data: ReportData) -> str | None:
    low = [r for r in data.regions if "low_renewal" in (r["risk_flags"] or [])]
    if not low:
        return None
    parts = [f"{_name(r)} ({pct(r['renewal_rate'])} of ended agreements renewed)" for r in low]
    return f"Renewal is low in {_join(parts)}."
