"""Region reports as partitions (reports/region_report) and the set region_reports
publishes from them, against the hand-filled fixture warehouse (four regions, 2025).

Each test starts from a published set: a folder `2025/` as refresh_all leaves it (here:
marker bytes, so that any change to a file shows), and checks what a partition run or a
region_reports run does to it.
"""

from __future__ import annotations

import pytest
from conftest import pdf_text
from dagster import DagsterInstance, materialize
from report_warehouse_fixture import REGIONS

from pipelines.reports.assets import (
    GLYPH_CHECK,
    REGION_PARTITIONS,
    REGION_REPORT,
    ReportsResource,
    global_report,
    region_report,
    region_reports,
)
from pipelines.reports.parts import PARTS_FOLDER
from pipelines.warehouse import WarehouseResource

CODES = [code for code, _ in REGIONS]
GLOBAL_PDF = "partnership-sustainability-2025.pdf"


@pytest.fixture
def published(tmp_path):
    """REPORTS_DIR with a published 2025 set, each file holding its own marker bytes, and
    a region (OLD) that is no longer in the data."""
    reports_dir = tmp_path / "reports"
    folder = reports_dir / "2025"
    folder.mkdir(parents=True)
    for name in [GLOBAL_PDF, *(f"{c}.pdf" for c in CODES), "OLD.pdf"]:
        (folder / name).write_bytes(f"published {name}".encode())
    return reports_dir


@pytest.fixture
def instance():
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(REGION_PARTITIONS.name, CODES)
    return instance


def resources(warehouse_path, reports_dir, organisation="Test Federation"):
    return {
        "warehouse": WarehouseResource(path=str(warehouse_path)),
        "reports": ReportsResource(reports_dir=str(reports_dir), organisation=organisation, render_workers=1),
    }


def run_partition(code, warehouse_path, reports_dir, instance, **kw):
    return materialize(
        [region_report],
        partition_key=code,
        instance=instance,
        resources=resources(warehouse_path, reports_dir, **kw),
        raise_on_error=False,
    )


def published_bytes(reports_dir):
    return {p.name: p.read_bytes() for p in sorted((reports_dir / "2025").iterdir())}


def parts(reports_dir):
    return sorted(
        p.relative_to(reports_dir / PARTS_FOLDER).as_posix() for p in (reports_dir / PARTS_FOLDER).rglob("*.pdf")
    )


def test_one_region_renders_its_part_and_leaves_the_published_set_untouched(warehouse_path, published, instance):
    before = published_bytes(published)
    result = run_partition("MENA", warehouse_path, published, instance)
    assert result.success

    [part] = parts(published)
    assert part.endswith("/2025/MENA.pdf")
    text = pdf_text(published / PARTS_FOLDER / part)
    assert "Middle East & North Africa" in text and "Gulf Knowledge Foundation" in text
    assert "Europeana Friends" not in text  # another region's partner
    assert published_bytes(published) == before  # no published file changed, none added or removed

    [event] = result.asset_materializations_for_node("reports__region_report")
    assert event.partition == "MENA"
    assert event.metadata["published_as"].value == str(published / "2025" / "MENA.pdf")
    assert event.metadata["part"].value == str(published / PARTS_FOLDER / part)
    assert event.metadata["pages"].value >= 2
    [check] = result.get_asset_check_evaluations()
    assert (check.asset_key, check.check_name, check.passed) == (REGION_REPORT, GLYPH_CHECK, True)


def test_a_complete_set_of_parts_is_published_as_the_periods_region_reports(warehouse_path, published, instance):
    for code in CODES:
        assert run_partition(code, warehouse_path, published, instance).success
    rendered = {p.rsplit("/", 1)[1]: (published / PARTS_FOLDER / p).read_bytes() for p in parts(published)}
    assert sorted(rendered) == [f"{c}.pdf" for c in CODES]

    result = materialize([region_reports], instance=instance, resources=resources(warehouse_path, published))
    [event] = result.asset_materializations_for_node("reports__region_reports")
    assert event.metadata["from_partitions"].value is True
    assert event.metadata["regions"].value == len(CODES)
    after = published_bytes(published)
    # the parts' very bytes, as one set; the region gone from the data went with the old set;
    # the global report (not part of this run) stayed
    assert {name: after[name] for name in rendered} == rendered
    assert "OLD.pdf" not in after
    assert after[GLOBAL_PDF] == f"published {GLOBAL_PDF}".encode()


def test_an_incomplete_set_of_parts_is_not_published_the_step_renders_every_region(warehouse_path, published, instance):
    for code in CODES[:-1]:
        assert run_partition(code, warehouse_path, published, instance).success
    result = materialize([region_reports], instance=instance, resources=resources(warehouse_path, published))
    [event] = result.asset_materializations_for_node("reports__region_reports")
    assert event.metadata["from_partitions"].value is False
    after = published_bytes(published)
    assert sorted(after) == sorted([GLOBAL_PDF, *(f"{c}.pdf" for c in CODES)])
    assert all(after[f"{c}.pdf"].startswith(b"%PDF") for c in CODES)


def test_parts_of_other_data_are_never_mixed_in_and_are_dropped(warehouse_path, published, instance):
    """Parts rendered for another cover name (the same holds for another package, currency,
    metric settings or report code: all are in the parts' key) do not make a set."""
    for code in CODES:
        assert run_partition(code, warehouse_path, published, instance, organisation="Another Federation").success
    [other_key] = {p.split("/", 1)[0] for p in parts(published)}

    result = materialize([region_reports], instance=instance, resources=resources(warehouse_path, published))
    [event] = result.asset_materializations_for_node("reports__region_reports")
    assert event.metadata["from_partitions"].value is False
    assert "Test Federation" in pdf_text(published / "2025" / "AFR.pdf")
    assert not (published / PARTS_FOLDER / other_key).exists()


def test_with_the_global_report_in_the_run_the_set_is_rendered_whole_as_before(warehouse_path, published, instance):
    """refresh_all's path: both report assets in one run render together, with one
    generation time, even when a complete set of parts for the same data exists."""
    from pypdf import PdfReader

    for code in CODES:
        assert run_partition(code, warehouse_path, published, instance).success
    result = materialize(
        [global_report, region_reports],
        instance=instance,
        resources={
            **resources(warehouse_path, published),
            "reports": ReportsResource(reports_dir=str(published), organisation="Test Federation", render_workers=2),
        },
    )
    assert result.success
    [event] = result.asset_materializations_for_node("reports__region_reports")
    assert event.metadata["from_partitions"].value is False
    folder = published / "2025"
    created = {p.name: PdfReader(p).metadata.creation_date for p in folder.glob("*.pdf")}
    assert sorted(created) == sorted([GLOBAL_PDF, *(f"{c}.pdf" for c in CODES)])
    assert len(set(created.values())) == 1, created


def test_a_partition_of_a_region_without_marts_rows_fails_in_one_line(warehouse_path, published, instance):
    instance.add_dynamic_partitions(REGION_PARTITIONS.name, ["LAC"])
    result = run_partition("LAC", warehouse_path, published, instance)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    description = failure.step_failure_data.user_failure_data.description
    assert description == "reports: region 'LAC' has no row in marts.region_sustainability for period 2025"
    assert not (published / PARTS_FOLDER).exists()


def test_a_partition_run_starts_no_render_pool(warehouse_path, published, instance, monkeypatch):
    """One PDF renders in the run's own process: no worker processes to start."""
    from pipelines.reports import assets

    started = []
    monkeypatch.setattr(assets, "RenderPool", lambda workers: started.append(workers))
    result = materialize(
        [region_report],
        partition_key="EUR",
        instance=instance,
        resources={
            **resources(warehouse_path, published),
            "reports": ReportsResource(reports_dir=str(published), render_workers=4),
        },
    )
    assert result.success and started == []
    assert [p.rsplit("/", 1)[1] for p in parts(published)] == ["EUR.pdf"]
