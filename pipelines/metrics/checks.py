"""Asset checks on the published marts, re-read from the warehouse: what a report relies on.

All are blocking, so a run that builds the marts and the reports stops before a report
prints a figure that broke one of these promises.
"""

from dagster import AssetCheckResult, MetadataValue, asset_check

from pipelines.metrics.assets import SUPPORT_MIX, SUSTAINABILITY
from pipelines.metrics.facts import ALL
from pipelines.warehouse import WarehouseResource

# Shares are floats formed from DECIMAL sums: they add to 1 up to rounding.
SHARE_TOLERANCE = 1e-9
SCORE_OUTSIDE_0_100 = "sustainability_score < 0 OR sustainability_score > 100 OR isnan(sustainability_score)"


@asset_check(
    asset=SUSTAINABILITY,
    blocking=True,
    description="Every sustainability_score is between 0 and 100 (or null when no component is known).",
)
def score_within_0_100(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.get_connection(read_only=True) as conn:
        rows, scored, outside = conn.execute(
            "SELECT count(*), count(sustainability_score), "
            f"count(*) FILTER ({SCORE_OUTSIDE_0_100}) FROM marts.region_sustainability"
        ).fetchone()
        examples = conn.execute(
            "SELECT region_code, period, sustainability_score FROM marts.region_sustainability "
            f"WHERE {SCORE_OUTSIDE_0_100} ORDER BY region_code, period LIMIT 10"
        ).fetchall()
    return AssetCheckResult(
        passed=outside == 0,
        metadata={
            "failing_rows": _inline(examples, outside, "score outside 0–100"),
            "rows": rows,
            "rows_with_score": scored,
            "rows_outside_0_100": outside,
            "examples": MetadataValue.md(_examples(examples, ["region", "period", "score"])),
        },
    )


@asset_check(
    asset=SUPPORT_MIX,
    blocking=True,
    description="Partner-type shares add up to 1 in every region × period with positive support.",
)
def shares_sum_to_one(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.get_connection(read_only=True) as conn:
        totals = conn.execute(
            "SELECT region_code, period, sum(share) AS total FROM marts.region_support_mix "
            "GROUP BY region_code, period HAVING sum(support_eur) > 0 ORDER BY region_code, period"
        ).fetchall()
    off = [
        (region, period, total) for region, period, total in totals if total is None or abs(total - 1) > SHARE_TOLERANCE
    ]
    return AssetCheckResult(
        passed=not off,
        metadata={
            "failing_rows": _inline(off[:5], len(off), "shares not summing to 1"),
            "region_periods": len(totals),
            "region_periods_not_summing_to_1": len(off),
            "examples": MetadataValue.md(_examples(off[:10], ["region", "period", "sum of shares"])),
        },
    )


@asset_check(
    asset=SUSTAINABILITY,
    blocking=True,
    description="Every region of staging.regions, and the 'ALL' row, has a row for every period.",
)
def every_region_present(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.get_connection(read_only=True) as conn:
        missing = conn.execute(
            f"""
            WITH expected AS (SELECT region_code FROM staging.regions UNION SELECT '{ALL}'),
                 periods AS (SELECT DISTINCT period FROM marts.region_sustainability)
            SELECT e.region_code, p.period FROM expected e CROSS JOIN periods p
            WHERE NOT EXISTS (SELECT 1 FROM marts.region_sustainability s
                              WHERE s.region_code = e.region_code AND s.period = p.period)
            ORDER BY e.region_code, p.period
            """
        ).fetchall()
        regions = conn.execute("SELECT count(*) FROM staging.regions").fetchone()[0]
        periods = conn.execute("SELECT count(DISTINCT period) FROM marts.region_sustainability").fetchone()[0]
    missing_regions = sorted({region for region, _ in missing})
    return AssetCheckResult(
        passed=not missing and periods > 0,
        metadata={
            "failing_rows": (
                _inline(missing[:5], len(missing), "region × period missing")
                if missing
                else "none"
                if periods
                else "the mart has no period at all (no region loaded?)"
            ),
            "regions_in_staging": regions,
            "periods": periods,
            "missing_region_periods": len(missing),
            "regions_missing": ", ".join(missing_regions) or "none",
        },
    )


def _inline(rows: list[tuple], count: int, what: str) -> str:
    """'2 rows with score outside 0–100: EU 2025 101.0; …' for the CLI's one line."""
    if not count:
        return "none"
    return f"{count} with {what}: " + "; ".join(" ".join(str(v) for v in row) for row in rows[:5])


def _examples(rows: list[tuple], header: list[str]) -> str:
    if not rows:
        return "none"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows])
