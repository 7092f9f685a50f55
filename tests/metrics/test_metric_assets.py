"""The metrics assets in Dagster: materialized against the loaded sample, checks called
directly on good and on deliberately broken marts."""

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from pipelines.metrics.assets import MetricSettingsResource, region_metrics
from pipelines.metrics.checks import every_region_present, score_within_0_100, shares_sum_to_one
from pipelines.warehouse import WarehouseResource

MARTS = [
    "region_sustainability",
    "region_support_mix",
    "region_partner_support",
    "region_expiring_commitments",
    "metric_settings",
]


def materialize_metrics(path, **settings):
    return materialize(
        [region_metrics],
        instance=DagsterInstance.ephemeral(),
        resources={
            "warehouse": WarehouseResource(path=str(path)),
            "metric_settings": MetricSettingsResource(**settings),
        },
        raise_on_error=False,
    )


@pytest.fixture
def published(sample_warehouse):
    """The sample with its marts, computed with one non-default threshold."""
    result = materialize_metrics(sample_warehouse, low_renewal_below=0.25)
    assert result.success
    return sample_warehouse, result


def metadata(result, table):
    [event] = [
        m
        for m in result.asset_materializations_for_node("compute_region_metrics")
        if m.asset_key == AssetKey(["marts", table])
    ]
    return event.metadata


def test_every_mart_is_published_with_its_row_count_and_columns(published):
    path, result = published
    with duckdb.connect(str(path), read_only=True) as conn:
        for table in MARTS:
            rows = conn.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0]
            assert metadata(result, table)["dagster/row_count"].value == rows > 0
            columns = metadata(result, table)["dagster/column_schema"].schema.columns
            assert [c.name for c in columns] == [r[0] for r in conn.execute(f"DESCRIBE marts.{table}").fetchall()]
            # what an analyst reads in the UI's column table
            assert all(c.description for c in columns), [c.name for c in columns if not c.description]


def test_settings_used_are_published_and_change_the_flags(published):
    path, result = published
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute("SELECT value FROM marts.metric_settings WHERE name = 'low_renewal_below'").fetchone() == (
            "0.25",
        )
        # Africa renewed 2 of its 7 ended agreements in 2025 (0.29): below the default 0.5,
        # not below 0.25 — so with this setting Africa has no low_renewal flag.
        renewal, flags = conn.execute(
            "SELECT renewal_rate, risk_flags FROM marts.region_sustainability "
            "WHERE region_code = 'AF' AND period = '2025'"
        ).fetchone()
    assert renewal == pytest.approx(2 / 7)
    assert "low_renewal" not in flags
    assert "| low_renewal_below | 0.25 |" in metadata(result, "metric_settings")["settings"].value


def test_latest_year_table_for_analysts(published):
    _, result = published
    md = metadata(result, "region_sustainability")
    assert md["latest_year"].value == "2025"
    lines = md["by_region"].value.splitlines()
    regions = [line.split("|")[1].strip() for line in lines[4:]]
    assert regions[-1] == "ALL" and sorted(regions[:-1]) == ["AF", "AO", "EU", "LAC", "MENA", "NA"]
    assert regions[0] == "EU"  # best score first
    mena = next(line for line in lines if line.startswith("| MENA |"))
    assert "high" in mena and "dominant_funder" in mena and "top_funder_cliff" in mena


def test_invalid_settings_fail_the_step_with_the_reason(sample_warehouse):
    result = materialize_metrics(sample_warehouse, hhi_moderate_from=0.4, hhi_high_above=0.25)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "hhi_moderate_from (0.4) ≤ hhi_high_above (0.25)" in failure.step_failure_data.user_failure_data.description


def test_checks_pass_on_the_published_sample(published):
    path, _ = published
    warehouse = WarehouseResource(path=str(path))
    score = score_within_0_100(warehouse=warehouse)
    assert score.passed and score.metadata["rows_outside_0_100"].value == 0
    shares = shares_sum_to_one(warehouse=warehouse)
    assert shares.passed and shares.metadata["region_periods"].value > 0
    regions = every_region_present(warehouse=warehouse)
    assert regions.passed and regions.metadata["regions_in_staging"].value == 6


def test_checks_fail_on_broken_marts(published):
    path, _ = published
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "UPDATE marts.region_sustainability SET sustainability_score = 101 "
            "WHERE region_code = 'EU' AND period = '2025'"
        )
        conn.execute(
            "UPDATE marts.region_support_mix SET share = share / 2 WHERE region_code = 'AF' AND period = '2025-Q1'"
        )
        conn.execute("DELETE FROM marts.region_sustainability WHERE region_code = 'LAC' AND period = '2024'")
    warehouse = WarehouseResource(path=str(path))

    score = score_within_0_100(warehouse=warehouse)
    assert not score.passed and score.metadata["rows_outside_0_100"].value == 1
    assert "| EU | 2025 | 101.0 |" in score.metadata["examples"].value

    shares = shares_sum_to_one(warehouse=warehouse)
    assert not shares.passed and shares.metadata["region_periods_not_summing_to_1"].value == 1
    assert "| AF | 2025-Q1 | 0.5" in shares.metadata["examples"].value

    regions = every_region_present(warehouse=warehouse)
    assert not regions.passed
    assert regions.metadata["regions_missing"].value == "LAC"
    assert regions.metadata["missing_region_periods"].value == 1
