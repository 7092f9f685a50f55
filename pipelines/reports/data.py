"""Everything a report shows, read from the published marts and audit tables only.

The one exception is `staging.regions`, read for the regions' display names (the marts
carry codes only). No number is computed here: the report prints what the warehouse holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb

from pipelines.metrics import latest_year
from pipelines.metrics.facts import ALL
from pipelines.reports.insight import Insight, load_insight
from pipelines.reports.paths import PERIOD


class ReportDataError(ValueError):
    """The warehouse cannot produce the requested report; the message says why."""


@dataclass(frozen=True)
class ReportData:
    period: str
    period_type: str
    period_start: date
    period_end: date
    fingerprint: str
    currency: str
    total: dict  # the 'ALL' row of marts.region_sustainability
    regions: list[dict]  # one row per region, ranked by score (best first)
    quarters: dict[str, list[dict]]  # region -> the four quarters ending at period_end
    support_mix: dict[str, list[dict]]
    partners: dict[str, list[dict]]
    expiring: dict[str, list[dict]]
    metric_settings: list[dict]
    load_summary: list[dict]
    rejects_by_rule: list[dict]
    region_names: dict[str, str]  # region code -> display name (staging.regions)
    # Ended years after `period` skipped by the default choice because nothing is recorded in them.
    skipped_periods: tuple[str, ...] = ()
    # Trends, what changed and the funding cliff (pipelines/reports/insight.py).
    insight: Insight = field(default_factory=Insight)

    @property
    def has_money_or_activity(self) -> bool:
        """False for a period whose global row records no support, expenditure or activity."""
        return latest_year.has_money_or_activity(self.total)

    @property
    def skipped_sentence(self) -> str | None:
        return latest_year.skipped_sentence(self.skipped_periods)

    def setting(self, name: str) -> str | None:
        """A value of marts.metric_settings, as text; None when the marts do not hold it."""
        return next((m["value"] for m in self.metric_settings if m["name"] == name), None)

    def region(self, code: str) -> dict:
        for row in self.regions:
            if row["region_code"] == code:
                return row
        raise ReportDataError(f"region {code!r} has no row in marts.region_sustainability for period {self.period}")


def default_period(conn: duckdb.DuckDBPyConnection, today: date) -> latest_year.YearChoice:
    """The year a report is about when none is asked for: the latest calendar year that ended
    before `today` with any support, expenditure or activity in the global row, and the empty
    ended years after it (pipelines/metrics/latest_year.py, docs/reports.md)."""
    rows = _rows(
        conn,
        f"""
        SELECT {", ".join(latest_year.COLUMNS)} FROM marts.region_sustainability
        WHERE region_code = ? AND period_type = 'year'
    """,
        [ALL],
    )
    choice = latest_year.latest_complete_year(rows, today)
    if choice.period is None:
        raise ReportDataError(latest_year.no_year_message(choice, today))
    return choice


def _rows(conn, sql: str, params: list | None = None) -> list[dict]:
    return conn.sql(sql, params=params).pl().to_dicts()


def _by_region(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["region_code"]].append(row)
    return dict(grouped)


def load_report_data(conn: duckdb.DuckDBPyConnection, period: str, skipped_periods: Sequence[str] = ()) -> ReportData:
    """Everything the reports of `period` print; `skipped_periods` are the empty years the
    default choice passed over (`default_period(...).skipped`), which the reports name."""
    if not PERIOD.fullmatch(period):
        raise ReportDataError(
            f"period {period!r} is neither a year (2025), a quarter (2025-Q3) nor a fiscal year (FY2026)"
        )
    rows = _rows(
        conn,
        """
        SELECT s.*, coalesce(r.region_name, s.region_code) AS region_name
        FROM marts.region_sustainability s
        LEFT JOIN staging.regions r USING (region_code)
        WHERE s.period = ?
        ORDER BY s.sustainability_score DESC NULLS LAST, s.region_code
    """,
        [period],
    )
    total = next((r for r in rows if r["region_code"] == ALL), None)
    if total is None:
        hint = (
            " (fiscal years are in the marts only when the metrics run with a fiscal_year_start_month other than 1)"
            if period.startswith("FY")
            else ""
        )
        raise ReportDataError(
            f"marts.region_sustainability has no global row (region_code 'ALL') for period {period}{hint}"
        )
    total["region_name"] = "All regions"
    regions = [r for r in rows if r["region_code"] != ALL]

    package = conn.sql("SELECT fingerprint, reporting_currency FROM audit.package").fetchall()
    if not package:
        raise ReportDataError("audit.package is empty: load a package first")

    quarters = _rows(
        conn,
        """
        SELECT region_code, period, support_eur, expenditure_eur
        FROM marts.region_sustainability
        WHERE period_type = 'quarter' AND period_end <= ? AND period_end > ? - INTERVAL 12 MONTH
        ORDER BY region_code, period_end
    """,
        [total["period_end"], total["period_end"]],
    )
    support_mix = _rows(
        conn,
        """
        SELECT region_code, partner_type, support_eur, share FROM marts.region_support_mix
        WHERE period = ? ORDER BY region_code, support_eur DESC, partner_type
    """,
        [period],
    )
    partners = _rows(
        conn,
        """
        SELECT region_code, partner_id, partner_name, partner_type, support_eur, share,
               last_interaction_date, agreements_in_force
        FROM marts.region_partner_support
        WHERE period = ? ORDER BY region_code, support_eur DESC, partner_name, partner_id
    """,
        [period],
    )
    expiring = _rows(
        conn,
        """
        SELECT region_code, agreement_id, partner_id, partner_name, title, end_date, remaining_eur
        FROM marts.region_expiring_commitments
        WHERE period = ? ORDER BY region_code, end_date, agreement_id
    """,
        [period],
    )
    return ReportData(
        period=period,
        period_type=total["period_type"],
        period_start=total["period_start"],
        period_end=total["period_end"],
        fingerprint=package[0][0],
        currency=package[0][1],
        total=total,
        regions=regions,
        quarters=_by_region(quarters),
        support_mix=_by_region(support_mix),
        partners=_by_region(partners),
        expiring=_by_region(expiring),
        metric_settings=_rows(conn, "SELECT name, value FROM marts.metric_settings ORDER BY name"),
        load_summary=_rows(
            conn,
            """
            SELECT source, file, rows_read, rows_loaded, rows_rejected
            FROM audit.load_summary ORDER BY source, file
        """,
        ),
        rejects_by_rule=_rows(
            conn,
            """
            SELECT source, rule, count(*) AS rows_rejected, min(message) AS example
            FROM audit.rejects GROUP BY source, rule ORDER BY source, rule
        """,
        ),
        region_names={r["region_code"]: r["region_name"] for r in regions},
        skipped_periods=tuple(skipped_periods),
        insight=load_insight(conn, period, total["period_type"], total["period_end"]),
    )


def report_region_codes(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every region that has a row in the marts, for any period (the report partitions)."""
    return [
        code
        for (code,) in conn.sql(
            "SELECT DISTINCT region_code FROM marts.region_sustainability WHERE region_code <> ? ORDER BY region_code",
            params=[ALL],
        ).fetchall()
    ]
