"""The metrics were rewritten to scale (facts compacted per day, periods matched by month,
as-of joins; docs/metrics.md, "Performance"). These tests hold them to the marts of before.

`sample_marts/` holds the bundled sample's four marts as computed by the code before that
rewrite (commit 8108aeb, `compute_region_metrics` on the loaded sample, written with
`DataFrame.write_parquet`): `calendar/` with the default settings, `fiscal_march/` with
`fiscal_year_start_month=3` (fiscal years ending on 28 or 29 February, whose 12-month burn
window starts on a 28 February). They are compared exactly, floats included.
"""

import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
from dagster import DagsterInstance, materialize
from polars.testing import assert_frame_equal

from pipelines.metrics.assets import MetricSettingsResource, region_metrics
from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.facts import COLUMNS
from pipelines.metrics.marts import read_staging_frames
from pipelines.metrics.settings import MetricSettings
from pipelines.warehouse import WarehouseResource

BEFORE = Path(__file__).parent / "sample_marts"


def assert_marts_equal(actual, expected) -> None:
    for name in actual._fields:
        assert_frame_equal(getattr(actual, name), getattr(expected, name), check_exact=True)


@pytest.mark.parametrize(("folder", "fiscal_start"), [("calendar", 1), ("fiscal_march", 3)])
def test_the_samples_marts_are_those_computed_before_the_rewrite(loaded_sample, folder, fiscal_start):
    with duckdb.connect(str(loaded_sample), read_only=True) as conn:
        frames = read_staging_frames(conn)
    marts = compute_region_metrics(frames, MetricSettings(fiscal_year_start_month=fiscal_start))
    for name in marts._fields:
        expected = pl.read_parquet(BEFORE / folder / f"{name}.parquet")
        assert_frame_equal(getattr(marts, name), expected, check_exact=True)


@pytest.fixture
def busier_sample(sample_warehouse) -> Path:
    """The sample with a second transaction, expenditure and interaction on the day of each
    (other amounts), so that compacting per day has something to add up."""
    with duckdb.connect(str(sample_warehouse)) as conn:
        conn.execute(
            "INSERT INTO staging.transactions SELECT * REPLACE (transaction_id || '-b' AS transaction_id, "
            "amount_eur * 2 - 1 AS amount_eur) FROM staging.transactions"
        )
        conn.execute(
            "INSERT INTO staging.expenditures SELECT * REPLACE (expenditure_id || '-b' AS expenditure_id, "
            "amount_eur + 0.01 AS amount_eur) FROM staging.expenditures"
        )
        conn.execute(
            "INSERT INTO staging.interactions SELECT * REPLACE (interaction_id || '-b' AS interaction_id) "
            "FROM staging.interactions"
        )
    return sample_warehouse


@pytest.mark.parametrize("fiscal_start", [1, 7])
def test_compacting_the_facts_as_they_are_read_changes_no_figure(busier_sample, fiscal_start):
    settings = MetricSettings(fiscal_year_start_month=fiscal_start)
    with duckdb.connect(str(busier_sample), read_only=True) as conn:
        raw = {name: conn.sql(f"SELECT * FROM staging.{name}").pl() for name in COLUMNS}
        compacted = read_staging_frames(conn)
    assert compacted["transactions"].height < raw["transactions"].height / 1.9
    assert compacted["interactions"].height < raw["interactions"].height / 1.9
    assert_marts_equal(compute_region_metrics(compacted, settings), compute_region_metrics(raw, settings))


def test_the_step_logs_rows_rates_and_elapsed_time(sample_warehouse):
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [region_metrics],
        instance=instance,
        resources={
            "warehouse": WarehouseResource(path=str(sample_warehouse)),
            "metric_settings": MetricSettingsResource(),
        },
    )
    assert result.success
    lines = [e.user_message for e in instance.all_logs(result.run_id) if e.user_message.startswith("metrics: ")]
    with duckdb.connect(str(sample_warehouse), read_only=True) as conn:
        staged = sum(conn.execute(f"SELECT count(*) FROM staging.{name}").fetchone()[0] for name in COLUMNS)
        published = sum(
            conn.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0]
            for table in (
                "region_sustainability",
                "region_support_mix",
                "region_partner_support",
                "region_expiring_commitments",
                "region_trends",
                "region_changes",
                "region_cash_projection",
            )
        )
    rate = r" rows in \d+\.\d s( \([\d,]+ rows/s\))?"
    patterns = [
        f"metrics: staging tables read {staged:,}{rate}",
        f"metrics: facts aggregated [\\d,]+{rate}",
        f"metrics: marts computed {published:,}{rate}",
        f"metrics: marts written {published:,}{rate}",
        r"metrics: finished in \d+\.\d s",
    ]
    assert len(lines) == len(patterns), lines
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), line
