"""Trends, what changed and the funding cliff, as the reports print them.

Read from marts.region_trends, marts.region_changes and marts.region_cash_projection
(pipelines/metrics/insight.py). As elsewhere in the reports, nothing is computed here but
the choice of rows (the trend window) and the words: every number is a warehouse value.
A warehouse written before these marts existed gives an empty `Insight` (`available` False)
and the reports say the pages need the metrics to run again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import duckdb

from pipelines.metrics.facts import ALL
from pipelines.metrics.insight import CHANGE_KINDS
from pipelines.reports.formatting import (
    SPENDING_FLAGS,
    SPENDING_NOT_RECORDED,
    flag_label,
    isolated,
    money,
    pct,
)

YEARS_SHOWN = 5
QUARTERS_SHOWN = 8
TABLES = ("region_trends", "region_changes", "region_cash_projection")
COMPONENT_LABELS = {
    "diversification": "diversification",
    "runway": "runway",
    "renewal": "renewal",
    "engagement": "engagement",
    "margin": "margin",
}
SPENDING_COMPONENTS = frozenset({"runway", "margin"})  # rest on recorded spending
CHECKPOINTS = (3, 6, 12, 24)  # months of the projection printed in the global table


@dataclass(frozen=True)
class Insight:
    available: bool = False
    long_type: str = "year"  # 'year' or 'fiscal_year'
    years: dict[str, list[dict]] = field(default_factory=dict)  # region -> up to 5, oldest first
    quarters: dict[str, list[dict]] = field(default_factory=dict)
    changes: dict[str, list[dict]] = field(default_factory=dict)
    projection: dict[str, list[dict]] = field(default_factory=dict)  # region -> 24 months
    previous_period: str | None = None


def _has_tables(conn: duckdb.DuckDBPyConnection) -> bool:
    found = {
        name
        for (name,) in conn.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()
    }
    return all(t in found for t in TABLES)


def _grouped(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["region_code"]].append(row)
    return dict(grouped)


def load_insight(conn: duckdb.DuckDBPyConnection, period: str, period_type: str, period_end: date) -> Insight:
    if not _has_tables(conn):
        return Insight()
    long_type = "fiscal_year" if period_type == "fiscal_year" else "year"
    trend_rows = (
        conn.sql(
            """
        SELECT * FROM marts.region_trends
        WHERE period_type IN (?, 'quarter') AND period_start <= ?
        ORDER BY region_code, period_type, period_start
    """,
            params=[long_type, period_end],
        )
        .pl()
        .to_dicts()
    )
    years: dict[str, list[dict]] = defaultdict(list)
    quarters: dict[str, list[dict]] = defaultdict(list)
    for row in trend_rows:
        (years if row["period_type"] == long_type else quarters)[row["region_code"]].append(row)
    changes = (
        conn.sql(
            """
        SELECT * FROM marts.region_changes WHERE period = ?
        ORDER BY region_code, change_kind, subject_id
    """,
            params=[period],
        )
        .pl()
        .to_dicts()
    )
    components = list(COMPONENT_LABELS)
    changes.sort(
        key=lambda r: (
            r["region_code"],
            CHANGE_KINDS.index(r["change_kind"]),
            components.index(r["subject_id"]) if r["change_kind"] == "score_component" else 0,
            -(r["amount_eur"] or 0),
            r["subject_id"],
        )
    )
    projection = (
        conn.sql(
            """
        SELECT * FROM marts.region_cash_projection WHERE period = ? ORDER BY region_code, month_number
    """,
            params=[period],
        )
        .pl()
        .to_dicts()
    )
    previous = conn.execute(
        "SELECT previous_period FROM marts.region_trends WHERE period = ? LIMIT 1", [period]
    ).fetchone()
    return Insight(
        available=True,
        long_type=long_type,
        years={c: rows[-YEARS_SHOWN:] for c, rows in years.items()},
        quarters={c: rows[-QUARTERS_SHOWN:] for c, rows in quarters.items()},
        changes=_grouped(changes),
        projection=_grouped(projection),
        previous_period=previous[0] if previous else None,
    )


# --- Words --------------------------------------------------------------------------


def month_label(day: date | None) -> str:
    return "n/a" if day is None else day.strftime("%Y-%m")


def incomplete(row: dict, report_end: date, today: date) -> bool:
    """A period not complete yet: it ends after the report's period or has not ended today."""
    return row["period_end"] > report_end or row["period_end"] >= today


def period_heading(row: dict, report_end: date, today: date) -> str:
    return row["period"] + (" (incomplete)" if incomplete(row, report_end, today) else "")


def signed_points(value) -> str:
    if value is None:
        return "n/a"
    text = f"{value:+.1f}"
    return text.replace("-", "\u2212")


def signed_money(value) -> str:
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "") + money(value)


def cliff_sentence(region_name: str, row: dict, months: list[dict]) -> str:
    """One line of the executive summary: when committed funding stops covering spending.

    `row` is the region's marts.region_sustainability row; `months` its 24 projection rows.
    A withheld region (spending not recorded) gets words, not a month: a cliff is a runway figure.
    """
    name = isolated(region_name)
    if row.get("spending_figures_withheld"):
        return f"{name}: {SPENDING_NOT_RECORDED}, so no cliff is given (nothing recorded to run out against)."
    if not months:
        return f"{name}: no projection in marts.region_cash_projection."
    first, last = months[0], months[-1]
    if first["burn_eur"] is None or first["burn_eur"] <= 0:
        return f"{name}: no spending in the twelve months to the period end, so no cliff."
    cliff = first["cliff_month"]
    if cliff is None:
        return (
            f"{name}: committed funding covers spending for all {len(months)} months "
            f"projected, to {month_label(last['month'])}."
        )
    coverage = row.get("multi_year_coverage")
    share = f" (commitments cover {pct(coverage)} of the next twelve months' spending)" if coverage is not None else ""
    if cliff == first["month"]:
        return f"{name}: committed funding falls short of spending from the first month, {month_label(cliff)}{share}."
    before = next(m["month"] for m in reversed(months) if m["month"] < cliff)
    return (
        f"{name}: committed funding covers spending until {month_label(before)}; "
        f"short from {month_label(cliff)}{share}."
    )


def change_lines(row: dict, changes: list[dict], currency: str) -> dict:
    """The 'What changed' items of one region, as plain words (untrusted names isolated)."""
    withheld = bool(row.get("spending_figures_withheld"))
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for c in changes:
        by_kind[c["change_kind"]].append(c)

    def named(c: dict) -> str:
        return isolated(c["subject_name"] or c["subject_id"])

    components = []
    for c in by_kind["score_component"]:
        label = COMPONENT_LABELS.get(c["subject_id"], c["subject_id"])
        if withheld and c["subject_id"] in SPENDING_COMPONENTS:
            components.append(f"{label}: {SPENDING_NOT_RECORDED}")
        else:
            components.append(f"{label} {signed_points(c['points'])}")
    raised = [
        flag_label(c["subject_id"])
        for c in by_kind["flag_raised"]
        if not (withheld and c["subject_id"] in SPENDING_FLAGS)
    ]
    cleared = [
        flag_label(c["subject_id"])
        for c in by_kind["flag_cleared"]
        if not (withheld and c["subject_id"] in SPENDING_FLAGS)
    ]
    return {
        "components": components,
        "flags_raised": raised,
        "flags_cleared": cleared,
        "gained": [f"{named(c)} ({currency} {money(c['amount_eur'])})" for c in by_kind["funder_gained"]],
        "lost": [
            f"{named(c)} ({currency} {money(c['amount_eur'])} in the previous period)" for c in by_kind["funder_lost"]
        ],
        "ended": [
            f"{isolated(c['subject_name'] or c['subject_id'])} with {isolated(c['partner_name'] or c['partner_id'])}, "
            f"ended {c['event_date']} ({currency} {money(c['amount_eur'])} committed)"
            for c in by_kind["agreement_ended_unrenewed"]
        ],
        "silent": [
            f"{named(c)} (last contact {c['event_date'] or 'none recorded'}; "
            f"{currency} {money(c['amount_eur'])} still to come)"
            for c in by_kind["partner_went_silent"]
        ],
    }


# --- Template context ---------------------------------------------------------------


def _trend_rows(rows: list[dict], report_end: date, today: date) -> list[dict]:
    return [
        {**r, "heading": period_heading(r, report_end, today), "incomplete": incomplete(r, report_end, today)}
        for r in rows
    ]


def region_context(data, code: str, colour: str, today: date, draw: bool = True) -> dict:
    """What the region pages print: trend tables and chart, changes, cliff sentence and chart.
    `draw=False`: the same without the two charts (the global report prints its own)."""
    from pipelines.reports import charts, insight_charts

    insight: Insight = data.insight
    row = data.total if code == ALL else data.region(code)
    years = _trend_rows(insight.years.get(code, []), data.period_end, today)
    quarters = _trend_rows(insight.quarters.get(code, []), data.period_end, today)
    months = insight.projection.get(code, [])
    shows_cliff = bool(months) and not row.get("spending_figures_withheld") and (months[0]["burn_eur"] or 0) > 0
    return {
        "row": row,
        "years": years,
        "quarters": quarters,
        "trend_chart": charts.data_uri(
            insight_charts.region_trend_chart(
                years, [r["period"] for r in years], [r["incomplete"] for r in years], colour, data.currency
            )
        )
        if years and draw
        else None,
        "changes": change_lines(row, insight.changes.get(code, []), data.currency),
        "score_change": next(
            (
                r["sustainability_score_change"]
                for r in insight.years.get(code, []) + insight.quarters.get(code, [])
                if r["period"] == data.period
            ),
            None,
        ),
        "cliff_sentence": cliff_sentence(row["region_name"], row, months),
        "months": months,
        "shows_cliff": shows_cliff,
        "cliff_chart": charts.data_uri(insight_charts.cliff_chart(months, colour, data.currency))
        if shows_cliff and draw
        else None,
    }


def global_context(data, colours: dict[str, str], today: date) -> dict:
    """The global report's trend, change and cliff pages: every region in ranking order."""
    from pipelines.reports import charts, insight_charts

    insight: Insight = data.insight
    if not insight.available:
        return {"insight": insight, "long_type": insight.long_type}
    regions = [r["region_code"] for r in data.regions]
    names = {**data.region_names, ALL: "All regions"}
    by_region = {
        code: region_context(data, code, colours.get(code, "#0b2d4f"), today, draw=False) for code in regions + [ALL]
    }
    year_periods = [r["period"] for r in by_region[ALL]["years"]]

    def series(measure: str) -> dict:
        out = {}
        for code in regions:
            rows = {r["period"]: r for r in by_region[code]["years"]}
            out[code] = [
                (
                    p,
                    None if rows.get(p, {}).get(measure) is None else float(rows[p][measure]),
                    bool(rows.get(p, {}).get("incomplete")),
                )
                for p in year_periods
            ]
        return out

    shown = [c for c in regions if by_region[c]["shows_cliff"]]
    return {
        "insight": insight,
        "long_type": insight.long_type,
        "by_region": by_region,
        "year_periods": [(r["period"], r["heading"]) for r in by_region[ALL]["years"]],
        "score_chart": charts.data_uri(
            insight_charts.small_multiples(series("sustainability_score"), names, colours, "score", y_limits=(0, 100))
        )
        if year_periods and regions
        else None,
        "support_chart": charts.data_uri(
            insight_charts.small_multiples(series("support_eur"), names, colours, data.currency, money_axis=True)
        )
        if year_periods and regions
        else None,
        "cliff_chart": charts.data_uri(
            insight_charts.cliff_small_multiples(
                {c: by_region[c]["months"] for c in shown}, names, colours, data.currency
            )
        )
        if shown
        else None,
        "cliff_regions": shown,
        "checkpoints": CHECKPOINTS,
    }


def signed_decimal(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}".replace("-", "\u2212")


def signed_pp(value) -> str:
    """A change of a share, in percentage points: +12 pp."""
    return "n/a" if value is None else f"{value * 100:+.0f} pp".replace("-", "\u2212")


TEMPLATE_GLOBALS = {
    "signed_points": signed_points,
    "signed_money": signed_money,
    "signed_decimal": signed_decimal,
    "signed_pp": signed_pp,
    "month_label": month_label,
}
