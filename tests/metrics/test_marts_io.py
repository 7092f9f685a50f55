"""Writing the marts: published types, one row per computed row, settings table."""

import duckdb

from pipelines.metrics.marts import MART_TYPES, write_marts
from pipelines.metrics.settings import MetricSettings
from tests.metrics.test_compute_small import marts  # noqa: F401  (the hand-worked fixture)


def test_write_marts_publishes_typed_tables(tmp_path, marts):  # noqa: F811
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_marts(conn, marts, MetricSettings(low_renewal_below=0.4))
    types = dict(
        conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = 'region_sustainability'"
        ).fetchall()
    )
    assert types["support_eur"] == "DECIMAL(18,2)" and types["risk_flags"] == "VARCHAR[]"
    assert list(types) == list(MART_TYPES["region_sustainability"])
    assert conn.execute("SELECT count(*) FROM marts.region_sustainability").fetchone()[0] == marts.sustainability.height
    flags = conn.execute(
        "SELECT risk_flags FROM marts.region_sustainability WHERE region_code = 'X' AND period = '2025'"
    ).fetchone()[0]
    assert flags == ["high_concentration", "dominant_funder", "low_engagement"]
    assert (
        conn.execute("SELECT value FROM marts.metric_settings WHERE name = 'low_renewal_below'").fetchone()[0] == "0.4"
    )
