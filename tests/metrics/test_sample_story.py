"""The bundled sample tells a designed story (pipelines/sample/story.py); the marts must
show it in 2025, the sample's latest complete year. If a metric or the generator drifts so
that a region no longer reads as designed, this test says which."""

from decimal import Decimal

import duckdb
import pytest

from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.marts import read_staging_frames, write_marts
from pipelines.metrics.settings import MetricSettings


@pytest.fixture(scope="module")
def year_2025(loaded_sample, tmp_path_factory):
    path = tmp_path_factory.mktemp("story") / "w.duckdb"
    with duckdb.connect(str(loaded_sample), read_only=True) as conn:
        frames = read_staging_frames(conn)
    with duckdb.connect(str(path)) as conn:
        write_marts(conn, compute_region_metrics(frames), MetricSettings())
        rows = conn.sql("SELECT * FROM marts.region_sustainability WHERE period = '2025'").pl()
        mix = conn.execute(
            "SELECT region_code, sum(share) AS shares, sum(support_eur) AS support "
            "FROM marts.region_support_mix WHERE period = '2025' GROUP BY region_code"
        ).fetchall()
    return {r["region_code"]: r for r in rows.iter_rows(named=True)}, {m[0]: m[1:] for m in mix}


def test_mena_depends_on_one_foundation(year_2025):
    mena = year_2025[0]["MENA"]
    assert mena["top_funder_share"] > 0.75
    assert mena["concentration_band"] == "high"
    assert {"dominant_funder", "high_concentration", "top_funder_cliff"} <= set(mena["risk_flags"])
    # Without the foundation the runway collapses from months to weeks.
    assert mena["runway_months"] > 6 and mena["runway_without_top_funder_months"] < 3


def test_europe_is_diversified_and_scores_best(year_2025):
    rows = year_2025[0]
    eu = rows["EU"]
    assert eu["concentration_band"] == "unconcentrated" and eu["effective_funders"] > 7
    assert eu["risk_flags"] == []
    regions = {code: r for code, r in rows.items() if code != "ALL"}
    assert max(regions, key=lambda c: regions[c]["sustainability_score"]) == "EU"


def test_latin_america_runs_out_of_commitments(year_2025):
    lac = year_2025[0]["LAC"]
    assert lac["runway_months"] < 6 and "short_runway" in lac["risk_flags"]


def test_asia_oceania_stopped_talking_to_its_partners(year_2025):
    ao = year_2025[0]["AO"]
    assert ao["engaged_partner_share"] < 0.5 and "low_engagement" in ao["risk_flags"]
    assert all(year_2025[0][c]["engaged_partner_share"] >= 0.5 for c in ("AF", "EU", "LAC", "MENA", "NA"))


def test_africa_lets_agreements_lapse_and_spends_more_than_it_raises(year_2025):
    af = year_2025[0]["AF"]
    assert af["renewal_rate"] < 0.5 and af["operating_margin"] < 0
    assert {"low_renewal", "deficit"} <= set(af["risk_flags"])


def test_north_america_is_steady(year_2025):
    assert year_2025[0]["NA"]["risk_flags"] == []


def test_the_global_row_sums_the_regions_and_the_mix_adds_up(year_2025):
    rows, mix = year_2025
    regional = [r for code, r in rows.items() if code != "ALL"]
    assert rows["ALL"]["support_eur"] == sum((r["support_eur"] for r in regional), Decimal(0))
    assert rows["ALL"]["expenditure_eur"] == sum((r["expenditure_eur"] for r in regional), Decimal(0))
    # The global HHI is over partners across regions, so it is below every region's.
    assert rows["ALL"]["hhi"] < min(r["hhi"] for r in regional)
    for code, (shares, support) in mix.items():
        assert shares == pytest.approx(1.0) and support == rows[code]["support_eur"], code
