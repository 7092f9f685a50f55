from pipelines.reports.assets import GLOBAL_REPORT, GLYPH_CHECK, REGION_REPORTS


def test_assets_write_every_report_with_metadata_and_a_preview(materialized):
    result, reports_dir = materialized
    folder = reports_dir / "2025"
    assert sorted(p.name for p in folder.iterdir()) == [
        "AFR.pdf",
        "ASOC.pdf",
        "EUR.pdf",
        "MENA.pdf",
        "partnership-sustainability-2025.pdf",
    ]

    [glob] = result.asset_materializations_for_node("reports__global_report")
    meta = glob.metadata
    assert meta["path"].value == str(folder / "partnership-sustainability-2025.pdf")
    assert meta["pages"].value >= 10
    assert meta["size_bytes"].value == (folder / "partnership-sustainability-2025.pdf").stat().st_size
    assert "data:image/png;base64," in meta["preview"].value

    [regions] = result.asset_materializations_for_node("reports__region_reports")
    assert regions.metadata["regions"].value == 4
    assert regions.metadata["preview"].value.count("data:image/png;base64,") == 4


def test_glyph_checks_pass_on_the_fixture(materialized):
    result, _ = materialized
    evaluations = {
        (e.asset_key, e.check_name): e.passed
        for e in result.get_asset_check_evaluations()
        if e.check_name == GLYPH_CHECK
    }
    assert evaluations == {(GLOBAL_REPORT, GLYPH_CHECK): True, (REGION_REPORTS, GLYPH_CHECK): True}


def test_glyph_check_fails_naming_the_file_and_the_text(tmp_path):
    from pipelines.reports.assets import _glyph_check
    from pipelines.reports.publish import PublishedReport
    from pipelines.reports.render import RenderedReport

    rendered = RenderedReport(
        pdf=b"%PDF", pages=1, seconds=0.1, missing_glyphs=["'\\ue000' (U+E000) in: Partner \ue000 Ltd"]
    )
    result = _glyph_check(REGION_REPORTS, [PublishedReport(tmp_path / "AFR.pdf", rendered)])
    assert not result.passed
    assert "AFR.pdf: '\\ue000' (U+E000) in: Partner \ue000 Ltd" in result.metadata["missing_glyphs"].value


def test_the_global_step_rendered_the_region_reports_too(materialized):
    """Both assets in one run: the global report's step submitted the region reports to the
    render pool (so all render at once) and the region step wrote those: they carry the
    global step's generation time to the second."""
    from pypdf import PdfReader

    _, reports_dir = materialized
    folder = reports_dir / "2025"
    created = {p.name: PdfReader(p).metadata.creation_date for p in folder.glob("*.pdf")}
    assert len(set(created.values())) == 1, created


def test_a_whole_job_run_includes_the_region_reports():
    from types import SimpleNamespace

    from pipelines.reports.assets import _in_run

    graph = SimpleNamespace(get_all_asset_keys=lambda: {GLOBAL_REPORT, REGION_REPORTS})

    def context(selection):
        return SimpleNamespace(
            run=SimpleNamespace(asset_selection=selection),
            job_def=SimpleNamespace(asset_layer=SimpleNamespace(asset_graph=graph)),
        )

    assert _in_run(context(None), REGION_REPORTS)
    assert _in_run(context(frozenset()), REGION_REPORTS)  # execute_in_process of a whole job
    assert not _in_run(context(frozenset({GLOBAL_REPORT})), REGION_REPORTS)


def test_appendix_check_status_from_the_latest_record():
    """A check planned but not evaluated yet is pending; an evaluated one passed or failed;
    one with no record was not run (appendix A of the global report)."""
    from types import SimpleNamespace

    from dagster import AssetCheckEvaluation, AssetCheckKey, AssetKey

    from pipelines.reports.assets import _check_results

    keys = [AssetCheckKey(AssetKey(["staging", name]), "rows") for name in ("a", "b", "c", "d")]

    def record(evaluation, run_id="run-1"):
        return SimpleNamespace(run_id=run_id, evaluation=evaluation)

    def evaluated(key, passed):
        return AssetCheckEvaluation(asset_key=key.asset_key, check_name=key.name, passed=passed)

    planned = SimpleNamespace(asset_key=keys[2].asset_key, check_name="rows")  # AssetCheckEvaluationPlanned
    records = {
        keys[0]: record(evaluated(keys[0], True)),
        keys[1]: record(evaluated(keys[1], False), "0123456789"),
        keys[2]: record(planned),
        keys[3]: None,
    }
    graph = SimpleNamespace(
        asset_check_keys=set(keys),
        get_check_spec=lambda key: SimpleNamespace(description=f"{key.asset_key.path[-1]} rows"),
    )
    context = SimpleNamespace(
        run_id="run-1",
        job_def=SimpleNamespace(asset_layer=SimpleNamespace(asset_graph=graph)),
        instance=SimpleNamespace(get_latest_asset_check_evaluation_record=records.get),
    )
    assert [(r["asset"], r["status"], r["run"]) for r in _check_results(context)] == [
        ("staging/a", "passed", "this run"),
        ("staging/b", "failed", "run 01234567"),
        ("staging/c", "pending", "this run"),
        ("staging/d", "not run", ""),
    ]
