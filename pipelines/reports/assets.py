"""Dagster assets for the reports: thin wrappers around pipelines.reports.publish.

Three assets, all downstream of the marts and audit tables:
- reports/global_report: partnership-sustainability-<period>.pdf
- reports/region_reports: one <region_code>.pdf per region in the marts, published as one set
- reports/region_report: one region's PDF in a run of its own, a partition per region
  (dynamic partitions "region", kept equal to the regions in the published marts by the
  sensor `region_partitions`, pipelines/automation.py)

`refresh_all` runs the first two, as one run on one machine: the region step renders
every region in parallel worker processes and reports each file. The partitions are for
running the regions on several machines (deploy/dagster.docker.yaml): a backfill of
region_report and region_reports starts one run per region, each rendering its region
into a part kept apart (pipelines/reports/parts.py), then one region_reports run that
publishes the complete set of parts as the period's region reports. region_reports finds
such a set only when it runs without the global report; otherwise it renders, as before.

The render workers belong to the `reports` resource: started when a run that needs
them starts (warm by the time the reports step comes), shut down when it ends. The
global report's step also submits the region reports when they are part of the same run,
so all seven render at once on every core; the region step then writes what it finds
rendered for the same data (else renders them itself).
"""

import base64
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Config,
    ConfigurableResource,
    DynamicPartitionsDefinition,
    Failure,
    InitResourceContext,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field, PrivateAttr

from pipelines import publication
from pipelines.output_checks import check_reports_dir
from pipelines.publication import ReportStage
from pipelines.reports.data import ReportData, ReportDataError, default_period, load_report_data
from pipelines.reports.parts import complete_set, drop_other_keys, part_path, write_part
from pipelines.reports.paths import UnsafeReportPath, region_report_path
from pipelines.reports.publish import (
    PublishedReport,
    RenderBatch,
    RenderPool,
    first_page_png,
    publish_global_report,
    publish_region_parts,
    publish_region_reports,
    submit_region_reports,
)
from pipelines.reports.render import render_region_report
from pipelines.schema import MARTS
from pipelines.settings import DEFAULT_ORGANISATION, RunSettings, Settings, SettingsError
from pipelines.warehouse import WarehouseResource, run_succeeded

# Every mart (pipelines/schema/marts.yml; metric_settings for the methodology appendix), and
# the audit tables for the data-quality page.
UPSTREAM = [AssetKey(["marts", table.name]) for table in MARTS] + [
    AssetKey(["audit", "rejects"]),
    AssetKey(["audit", "load_summary"]),
]
GLOBAL_REPORT = AssetKey(["reports", "global_report"])
REGION_REPORTS = AssetKey(["reports", "region_reports"])
REGION_REPORT = AssetKey(["reports", "region_report"])
# One partition per region code; which regions: the published marts' (sensor region_partitions).
REGION_PARTITIONS = DynamicPartitionsDefinition(name="region")
PARTITION_TAG = "dagster/partition"
GLYPH_CHECK = "every_glyph_rendered"


class ReportsResource(ConfigurableResource):
    """Where reports go (REPORTS_DIR) and whose name is on the cover (ORGANISATION_NAME)."""

    reports_dir: str
    organisation: str = DEFAULT_ORGANISATION
    # REPORT_PERIOD: used when the run config names no period ('2025', '2025-Q3', 'FY2026').
    period: str | None = None
    render_workers: int = Field(
        default=0, description="worker processes that render PDFs; 0: one per core, 1: render in the step's own process"
    )
    _pool: RenderPool | None = PrivateAttr(default=None)
    _batch: RenderBatch | None = PrivateAttr(default=None)
    _stage: ReportStage | None = PrivateAttr(default=None)
    _own_stage: bool = PrivateAttr(default=False)
    _started: datetime | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Check REPORTS_DIR, make the run's temporary report folder (published with the
        warehouse when the run succeeds) and start the render workers, so they are ready
        for the reports."""
        check_reports_dir(Path(self.reports_dir), RunSettings.from_env().min_free_space)
        self._stage = ReportStage(self.reports_dir, context.run_id)
        self._own_stage = True  # until the run's publication takes it (`stage`)
        self._started = datetime.now(UTC)
        workers = self.render_workers or os.cpu_count() or 1
        one_region = context.dagster_run is not None and PARTITION_TAG in context.dagster_run.tags
        if workers > 1 and not one_region:  # a region partition renders one PDF, in its own process
            self._pool = RenderPool(workers)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """The workers end with the run (renders not yet started are cancelled); the
        reports are published with the warehouse (or here, in a run without one)."""
        self._batch = None
        try:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
        finally:
            stage, self._stage = self._stage, None
            if stage is not None and self._own_stage:
                try:
                    if run_succeeded(context):
                        stage.publish()
                finally:
                    stage.discard()

    def generated_at(self) -> datetime:
        """The time printed in every report of a run: the run's start (one set, one time)."""
        return self._started or datetime.now(UTC)

    @property
    def stage(self) -> ReportStage | None:
        """The run's temporary report folder (None outside a run: files are written in place).
        The first use hands it to the run's publication (the warehouse resource's, set up by
        then), which publishes it with the warehouse."""
        run = publication.current()
        if self._stage is not None and self._own_stage and run is not None:
            self._stage.clean_stale()  # the run lock is held: no other run uses one
            run.add_stage(self._stage)
            self._own_stage = False
        return self._stage

    @property
    def pool(self) -> RenderPool | None:
        return self._pool

    def start_region_reports(self, data: ReportData, generated_at: datetime) -> None:
        """Submit every region report of `data` now (the region step writes them)."""
        try:
            for row in data.regions:
                region_report_path(Path(self.reports_dir), data.period, row["region_code"])
        except UnsafeReportPath:
            return  # the region step refuses it with the reason
        self._batch = submit_region_reports(self._pool, data, self.organisation, generated_at)

    def take_region_batch(self) -> RenderBatch | None:
        batch, self._batch = self._batch, None
        return batch

    @classmethod
    def from_env(cls, settings: Settings) -> "ReportsResource":
        workers = (os.environ.get("REPORT_RENDER_WORKERS") or "0").strip()
        if not workers.isdigit():
            raise SettingsError(f"REPORT_RENDER_WORKERS={workers!r} is not a whole number (0: one per core)")
        return cls(
            reports_dir=str(settings.reports_dir),
            render_workers=int(workers),
            organisation=settings.organisation,
            period=settings.report_period,
        )


class ReportConfig(Config):
    period: str | None = Field(
        default=None,
        description="'2025', '2025-Q3' or 'FY2026' (a fiscal year, when the metrics run with a "
        "fiscal_year_start_month other than 1); default: REPORT_PERIOD if set, else the "
        "latest calendar year in the marts that has ended and has any support, "
        "expenditure or activity.",
    )


def _today():
    return datetime.now(UTC).date()


def _load(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    config: ReportConfig,
    announce: bool,
    setting: str | None = None,
) -> ReportData:
    """The report data of the configured period, else of the default year; a warehouse that
    cannot give one fails the step with the one-line reason."""
    try:
        with warehouse.get_connection(read_only=True) as conn:
            skipped: tuple[str, ...] = ()
            period = config.period or setting
            if period is None:
                choice = default_period(conn, _today())
                period, skipped = choice.period, choice.skipped
            data = load_report_data(conn, period, skipped)
    except ReportDataError as err:
        raise Failure(description=f"reports: {err}", allow_retries=False) from None
    log = context.log.info if announce else context.log.debug
    if config.period or setting:
        log(f"Reporting period {data.period} (as configured)")
    else:
        log(
            f"Reporting period {data.period}, the latest complete year with money or activity"
            + (f"; {data.skipped_sentence}" if data.skipped_sentence else "")
        )
    return data


def _period_metadata(data: ReportData) -> dict:
    return {"period": data.period, "skipped_empty_periods": ", ".join(data.skipped_periods) or "none"}


def _glyph_check(asset_key: AssetKey, reports: list[PublishedReport]) -> AssetCheckResult:
    missing = [f"{r.path.name}: {m}" for r in reports for m in r.rendered.missing_glyphs]
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=GLYPH_CHECK,
        passed=not missing,
        severity=AssetCheckSeverity.ERROR,
        description=(
            f"{len(missing)} character(s) that no report font can draw, printed as empty boxes: {'; '.join(missing)}"
        )
        if missing
        else "Every character has a glyph in the report fonts.",
        metadata={"missing_glyphs": MetadataValue.md("\n".join(f"- {m}" for m in missing) or "none")},
    )


def _preview_md(report: PublishedReport) -> str:
    png = first_page_png(report.location)
    if png is None:
        return "(no preview: poppler's pdftoppm is not installed)"
    return f"![first page of {report.path.name}](data:image/png;base64,{base64.b64encode(png).decode()})"


def _in_run(context: AssetExecutionContext, key: AssetKey) -> bool:
    """Whether this run materialises `key` too (a job run as a whole has no selection, or an
    empty one under execute_in_process)."""
    selection = context.run.asset_selection
    if selection:
        return key in selection
    return key in context.job_def.asset_layer.asset_graph.get_all_asset_keys()


def _written(context: AssetExecutionContext, report: PublishedReport) -> None:
    context.log.info(
        f"wrote {report.path} ({report.rendered.pages} pages, rendered in {report.rendered.seconds:.1f} s)"
    )


def _previews(reports: list[PublishedReport]) -> list[str]:
    """First-page previews, several pdftoppm processes at a time."""
    with ThreadPoolExecutor(max_workers=4) as threads:
        return list(threads.map(_preview_md, reports))


def _check_results(context: AssetExecutionContext) -> list[dict]:
    """The latest evaluation of every other asset check of this run's job, for appendix A.

    (The repository is not on the context under execute_in_process; the job's asset
    graph is, and for refresh_all or the UI's asset job it holds every check.)
    """
    graph = context.job_def.asset_layer.asset_graph
    rows = []
    for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        if key.asset_key in (GLOBAL_REPORT, REGION_REPORTS, REGION_REPORT):
            continue
        record = context.instance.get_latest_asset_check_evaluation_record(key)
        if record is None:
            status, run = "not run", ""
        else:
            run = "this run" if record.run_id == context.run_id else f"run {record.run_id[:8]}"
            evaluation = record.evaluation
            if not isinstance(evaluation, AssetCheckEvaluation):  # planned, not evaluated yet
                status = "pending"
            else:
                status = "passed" if evaluation.passed else "failed"
        rows.append(
            {
                "asset": key.asset_key.to_user_string(),
                "check": key.name,
                "description": graph.get_check_spec(key).description or "",
                "status": status,
                "run": run,
            }
        )
    return rows


@asset(
    key=GLOBAL_REPORT,
    deps=UPSTREAM,
    group_name="reports",
    kinds={"pdf"},
    description="The leadership report: all regions, stress test, data quality and methodology.",
    check_specs=[
        AssetCheckSpec(GLYPH_CHECK, asset=GLOBAL_REPORT, description="No character fell back to an empty .notdef box.")
    ],
)
def global_report(
    context: AssetExecutionContext, config: ReportConfig, warehouse: WarehouseResource, reports: ReportsResource
) -> MaterializeResult:
    data = _load(context, warehouse, config, announce=True, setting=reports.period)
    generated_at = reports.generated_at()
    prefetch = None
    if reports.pool is not None and data.regions and _in_run(context, REGION_REPORTS):
        prefetch = lambda: reports.start_region_reports(data, generated_at)  # noqa: E731
    report = publish_global_report(
        data,
        Path(reports.reports_dir),
        reports.organisation,
        generated_at,
        _check_results(context),
        pool=reports.pool,
        meanwhile=prefetch,
        stage=reports.stage,
    )
    _written(context, report)
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(report.path)),
            **_period_metadata(data),
            "pages": report.rendered.pages,
            "size_bytes": report.size_bytes,
            "render_seconds": round(report.rendered.seconds, 2),
            "refused_urls": len(report.rendered.refused_urls),
            "preview": MetadataValue.md(_preview_md(report)),
        },
        check_results=[_glyph_check(GLOBAL_REPORT, [report])],
    )


@asset(
    key=REGION_REPORTS,
    deps=[*UPSTREAM, REGION_REPORT],
    group_name="reports",
    kinds={"pdf"},
    description="One PDF per region: the region's section and its full partner list.",
    check_specs=[
        AssetCheckSpec(GLYPH_CHECK, asset=REGION_REPORTS, description="No character fell back to an empty .notdef box.")
    ],
)
def region_reports(
    context: AssetExecutionContext, config: ReportConfig, warehouse: WarehouseResource, reports: ReportsResource
) -> MaterializeResult:
    data = _load(context, warehouse, config, announce=False, setting=reports.period)  # the global report says it
    reports_dir = Path(reports.reports_dir)
    on_written = lambda _, report: _written(context, report)  # noqa: E731
    # Run on its own (a backfill's last run, or an analyst's): a complete set of region
    # partitions for exactly this data and code is published as it is.
    parts = None if _in_run(context, GLOBAL_REPORT) else complete_set(reports_dir, data, reports.organisation)
    if parts is not None:
        context.log.info(
            f"Publishing the {len(parts)} region reports rendered as partitions of {REGION_REPORT.to_user_string()}"
        )
        published = publish_region_parts(data, reports_dir, parts, on_written=on_written, stage=reports.stage)
    else:
        published = publish_region_reports(
            data,
            reports_dir,
            reports.organisation,
            reports.generated_at(),
            workers=reports.render_workers,
            pool=reports.pool,
            batch=reports.take_region_batch(),
            on_written=on_written,
            stage=reports.stage,
        )
    drop_other_keys(reports_dir, data, reports.organisation)  # parts of other data: never publishable
    if reports.stage is not None:
        reports.stage.region_sets.add(data.period)  # every region of the period written
    lines = ["| region | pages | size (KB) | path |", "|---|---:|---:|---|"]
    for code, report in published.items():
        lines.append(f"| {code} | {report.rendered.pages} | {report.size_bytes // 1024} | `{report.path}` |")
    previews = [f"**{code}**\n\n{md}" for code, md in zip(published, _previews(list(published.values())), strict=True)]
    return MaterializeResult(
        metadata={
            **_period_metadata(data),
            "regions": len(published),
            "from_partitions": parts is not None,
            "pages": sum(r.rendered.pages for r in published.values()),
            "size_bytes": sum(r.size_bytes for r in published.values()),
            "paths": MetadataValue.json({c: str(r.path) for c, r in published.items()}),
            "reports": MetadataValue.md("\n".join(lines)),
            "preview": MetadataValue.md("\n\n".join(previews)),
        },
        check_results=[_glyph_check(REGION_REPORTS, list(published.values()))],
    )


@asset(
    key=REGION_REPORT,
    deps=UPSTREAM,
    partitions_def=REGION_PARTITIONS,  # no backfill policy: a backfill starts one run per region
    group_name="reports",
    kinds={"pdf"},
    description="One region's PDF in a run of its own (a partition per region); region_reports "
    "publishes the complete set.",
    check_specs=[
        AssetCheckSpec(GLYPH_CHECK, asset=REGION_REPORT, description="No character fell back to an empty .notdef box.")
    ],
)
def region_report(
    context: AssetExecutionContext, config: ReportConfig, warehouse: WarehouseResource, reports: ReportsResource
) -> MaterializeResult:
    code = context.partition_key
    data = _load(context, warehouse, config, announce=True, setting=reports.period)
    try:
        data.region(code)
        part = part_path(Path(reports.reports_dir), data, reports.organisation, code)
        final = region_report_path(Path(reports.reports_dir), data.period, code)
    except ValueError as err:  # no such region in the period's marts, or a code unfit for a file name
        raise Failure(description=f"reports: {err}", allow_retries=False) from None
    rendered = render_region_report(data, code, reports.organisation, reports.generated_at())
    write_part(part, rendered)
    report = PublishedReport(final, rendered, part)
    context.log.info(
        f"wrote {part} ({rendered.pages} pages, rendered in {rendered.seconds:.1f} s); "
        f"{REGION_REPORTS.to_user_string()} publishes it as {final} with the other regions"
    )
    return MaterializeResult(
        metadata={
            "region": code,
            **_period_metadata(data),
            "package_fingerprint": data.fingerprint,
            "part": MetadataValue.path(str(part)),
            "published_as": MetadataValue.path(str(final)),
            "pages": rendered.pages,
            "size_bytes": report.size_bytes,
            "preview": MetadataValue.md(_preview_md(report)),
        },
        check_results=[_glyph_check(REGION_REPORT, [report])],
    )
