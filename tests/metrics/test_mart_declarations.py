"""The marts publish exactly the columns pipelines/schema/marts.yml declares, with its types,
in its order: computed on the bundled sample, then written to DuckDB. And the check that
keeps them so: a computation with a column the declaration lacks, or lacking a declared one,
fails instead of writing a warehouse without it."""

import duckdb
import polars as pl
import pytest

from pipelines.metrics import compute
from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.insight import compute_insight_marts
from pipelines.metrics.marts import read_staging_frames, write_marts
from pipelines.metrics.settings import MetricSettings
from pipelines.schema import MARTS, MartColumnsError, mart


def test_every_mart_computed_and_written_has_exactly_its_declared_columns(sample_warehouse):
    with duckdb.connect(str(sample_warehouse)) as conn:
        frames = read_staging_frames(conn)
        marts = compute_region_metrics(frames)
        insight = compute_insight_marts(frames, marts)
        computed = {
            "region_sustainability": marts.sustainability,
            "region_support_mix": marts.support_mix,
            "region_partner_support": marts.partner_support,
            "region_expiring_commitments": marts.expiring_commitments,
            "region_trends": insight.trends,
            "region_changes": insight.changes,
            "region_cash_projection": insight.cash_projection,
        }
        write_marts(conn, marts, MetricSettings(), insight)
        written = {name: conn.execute(f"DESCRIBE marts.{name}").fetchall() for name in (t.name for t in MARTS)}
    for name, frame in computed.items():
        declared = [c for c in mart(name).columns if c.name != "package_fingerprint"]
        assert frame.height > 0, name
        assert list(frame.schema.items()) == [(c.name, c.polars_type) for c in declared], name
    # metric_settings is written from the settings, not computed; every mart ends with the fingerprint
    assert set(written) == set(computed) | {"metric_settings"}
    for name, describe in written.items():
        assert [(row[0], row[1]) for row in describe] == [(c.name, c.duckdb_type) for c in mart(name).columns], name
        assert describe[-1][:2] == ("package_fingerprint", "VARCHAR")


def test_a_computed_column_missing_from_the_declaration_fails():
    frame = pl.DataFrame(
        {
            "region_code": ["X"],
            "period": ["2025"],
            "partner_type": ["ngo"],
            "support_eur": [1.0],
            "share": [1.0],
            "new_metric": [2.0],
        }
    )
    with pytest.raises(
        MartColumnsError,
        match=r"marts\.region_support_mix: computed but not declared in "
        r"pipelines/schema/marts\.yml: new_metric$",
    ):
        compute._published(frame, "region_support_mix", ["region_code"])
    # named as a figure formed on the way, it is left out of the mart
    published = compute._published(frame, "region_support_mix", ["region_code"], working={"new_metric"})
    assert published.columns == ["region_code", "period", "partner_type", "support_eur", "share"]


def test_a_declared_column_not_computed_fails():
    frame = pl.DataFrame({"region_code": ["X"], "period": ["2025"], "partner_type": ["ngo"], "support_eur": [1.0]})
    with pytest.raises(MartColumnsError, match=r"declared in pipelines/schema/marts\.yml but not computed: share$"):
        compute._published(frame, "region_support_mix", ["region_code"])


def test_write_marts_refuses_a_frame_with_other_columns(sample_warehouse):
    with duckdb.connect(str(sample_warehouse)) as conn:
        marts = compute_region_metrics(read_staging_frames(conn))
        wider = marts._replace(support_mix=marts.support_mix.with_columns(extra=pl.lit(1)))
        with pytest.raises(ValueError, match=r"marts\.region_support_mix: the frame's columns .* are not the declared"):
            write_marts(conn, wider, MetricSettings())
        # nothing was written: the transaction rolled back before the first table
        assert conn.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts'").fetchone()[0] == 0
