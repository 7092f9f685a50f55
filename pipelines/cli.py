"""`partner-reports`: run the pipeline from a terminal.

    partner-reports run [--data DIR] [--warehouse FILE] [--reports DIR] [--currency EUR]

runs every asset (load, metrics, reports) through Dagster on one package and prints what
it wrote. Errors are printed as one clear message, never as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
import uuid
from pathlib import Path

from dotenv import load_dotenv

from pipelines import runlock
from pipelines.importers.cli import add_import_parser
from pipelines.output_checks import OutputError
from pipelines.preflight import check_settings
from pipelines.runlock import WarehouseBusy
from pipelines.settings import DEFAULTS, Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="partner-reports",
        description="Partnership sustainability and impact reports from a partner data package.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="load a package, compute the marts and write the reports",
        description="Run the whole pipeline through Dagster. Options override the environment "
        "variables (and .env) named in brackets.",
    )
    run.add_argument(
        "--data", metavar="DIR", help=f"partner data package [PARTNER_DATA_DIR, default {DEFAULTS['PARTNER_DATA_DIR']}]"
    )
    run.add_argument(
        "--warehouse", metavar="FILE", help=f"DuckDB file [WAREHOUSE_PATH, default {DEFAULTS['WAREHOUSE_PATH']}]"
    )
    run.add_argument("--reports", metavar="DIR", help=f"where PDFs go [REPORTS_DIR, default {DEFAULTS['REPORTS_DIR']}]")
    run.add_argument("--currency", metavar="CODE", help="reporting currency [REPORTING_CURRENCY, default EUR]")
    run.add_argument(
        "--period",
        metavar="PERIOD",
        help="the reports' period: 2025, 2025-Q3 or FY2026 [REPORT_PERIOD, default the latest "
        "complete calendar year with money or activity]",
    )
    run.add_argument(
        "--fiscal-year-start",
        metavar="MONTH",
        help="first month of the fiscal year, 1–12; another month than 1 adds fiscal years "
        "(FY2026) to the marts [FISCAL_YEAR_START_MONTH, default 1]",
    )
    run.add_argument("--verbose", action="store_true", help="show Dagster's step-by-step log")
    run.set_defaults(handler=run_pipeline)
    add_import_parser(commands)  # `partner-reports import …` (pipelines/importers/cli.py)

    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (SettingsError, PipelineFailed, OutputError, WarehouseBusy) as err:
        print(f"partner-reports: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


class PipelineFailed(Exception):
    """A run that failed; the message is what the failing step reported."""


def run_pipeline(args: argparse.Namespace) -> int:
    overrides = {
        "PARTNER_DATA_DIR": args.data,
        "WAREHOUSE_PATH": args.warehouse,
        "REPORTS_DIR": args.reports,
        "REPORTING_CURRENCY": args.currency,
        "REPORT_PERIOD": args.period,
        "FISCAL_YEAR_START_MONTH": args.fiscal_year_start,
    }
    as_given = ("REPORTING_CURRENCY", "REPORT_PERIOD", "FISCAL_YEAR_START_MONTH")
    load_dotenv(override=False)
    environ = dict(os.environ)
    for name, value in overrides.items():
        if value:  # paths given on the command line are relative to where the user is
            environ[name] = value if name in as_given else str(Path(value).resolve())
    settings = Settings.from_env(environ)
    # Before any work: every setting can work, the package is there and every output can
    # be written (one line and exit status 2, nothing written).
    check_settings(settings, args.period)
    # One run at a time on this warehouse, from the first step to the last (a run started
    # by the daemon or the UI takes the same lock); waits, saying who holds it.
    run_id = str(uuid.uuid4())
    runlock.acquire(settings.warehouse_path, run_id, settings.run.lock_timeout)
    try:
        return _run(args, settings, run_id)
    finally:
        runlock.release(settings.warehouse_path)


def _run(args: argparse.Namespace, settings: Settings, run_id: str) -> int:
    print(f"Package:   {settings.partner_data_dir}")
    print(f"Warehouse: {warehouse_name(settings)}")

    from dagster import DagsterInstance, logger

    from pipelines.definitions import build_definitions

    if os.environ.get("DAGSTER_HOME"):
        Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        instance = DagsterInstance.get()  # runs show up in `make ui`
    else:
        instance = DagsterInstance.ephemeral()
    started = time.time()
    job = build_definitions(settings).resolve_job_def("refresh_all")
    if args.verbose:
        loggers = {"console": {"config": {"log_level": "DEBUG"}}}
    else:
        job = job.with_logger_defs({"progress": logger(description=PROGRESS_LOGGER)(progress_logger)})
        loggers = {"progress": {}}
    from pipelines import publication

    publication.last_outcome = None
    # --period reaches the reports as REPORT_PERIOD (settings)
    result = job.execute_in_process(
        instance=instance, raise_on_error=False, run_id=run_id, run_config={"loggers": loggers}
    )
    failed = print_checks(result)
    if not result.success:
        raise PipelineFailed(_failure_message(result))
    outcome = publication.last_outcome
    if outcome is not None and outcome.outcome and not outcome.outcome.startswith("published"):
        raise PipelineFailed(outcome.outcome)
    print_summary(settings, started, time.time() - started)
    if failed:
        # the run finished, but a check failed (e.g. a character no font could draw): say
        # which in one line and exit non-zero, so that a scheduler notices
        print(f"partner-reports: error: {failed[0][1]}", file=sys.stderr)
        return 1
    return 0


def print_checks(result) -> list[tuple[str, str]]:
    """One line for the checks that passed, one per check that failed (with its failing
    rows, else its description). Returns the failed checks as (name, one-line reason)."""
    evaluations = result.get_asset_check_evaluations()
    failed = sorted(
        (e for e in evaluations if not e.passed), key=lambda e: (e.asset_key.to_user_string(), e.check_name)
    )
    print(f"\nAsset checks: {len(evaluations) - len(failed)} passed, {len(failed)} failed")
    for evaluation in failed:
        print(f"  FAILED {check_line(evaluation)}")
    return [(f"{e.asset_key.to_user_string()}: {e.check_name}", f"check {check_line(e)}") for e in failed]


def check_line(evaluation) -> str:
    """'staging/agreements: foreign_keys_resolve (blocking): partner_id P9 (1 row)'."""
    blocking = " (blocking)" if getattr(evaluation, "blocking", False) else ""
    rows = evaluation.metadata.get("failing_rows")
    detail = (
        rows.value if rows is not None else _one_line(evaluation.description or "") or "see its metadata in `make ui`"
    )
    return f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}{blocking}: {detail}"


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


PROGRESS_LOGGER = "Short progress lines on standard output: each step, and what the steps report."


def progress_logger(_context) -> logging.Logger:
    """The Dagster logger `run` uses without --verbose (made into one in `_run`: Dagster is
    imported only there, so `partner-reports import` and the worker processes it starts,
    which import this module first, start in 0.2 s instead of 1)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_progress_line)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    log = logging.getLogger("partner_reports.progress")
    log.handlers, log.propagate = [handler], False
    log.setLevel(logging.INFO)
    return log


def _progress_line(record: logging.LogRecord) -> bool:
    """Keep the steps' own INFO messages and a line when a step starts; drop Dagster's chatter."""
    meta = getattr(record, "dagster_meta", None)
    if not meta or record.levelno < logging.INFO:
        return False
    event = meta["dagster_event"]
    if event is None:
        record.msg, record.args = meta["orig_message"], ()
        return True
    if event.event_type_value == "STEP_START":
        record.msg, record.args = f"[{meta['step_key']}]", ()
        return True
    return False


def _failure_message(result) -> str:
    """One line naming the cause: the step's own description (file and line of a package
    error), a failed blocking check and its failing rows, or the underlying error with
    where it happened. The traceback is in the --verbose log."""
    failed_checks = [e for e in result.get_asset_check_evaluations() if not e.passed and getattr(e, "blocking", False)]
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                return data.user_failure_data.description
            if failed_checks:
                return f"blocking check failed, nothing was published: {check_line(failed_checks[0])}"
            return error_line(event.step_key, data.error)
        if (
            event.event_type_value == "RUN_FAILURE"
            and event.event_specific_data
            and getattr(event.event_specific_data, "error", None)
        ):
            return error_line(None, event.event_specific_data.error)
    return "the run failed (run again with --verbose for the full log)"


_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def error_line(step: str | None, error) -> str:
    """The innermost error of a Dagster error chain as one line, with the project's file
    and line where it was raised; a full disk, a locked file or a refused path said so."""
    chain = [error]
    while chain[-1].cause is not None or chain[-1].context is not None:
        chain.append(chain[-1].cause or chain[-1].context)
    inner = next((e for e in reversed(chain) if not e.cls_name or not e.cls_name.startswith("Dagster")), chain[-1])
    message = " ".join(line.strip() for line in (inner.message or "").strip().splitlines()[:1])
    message = re.sub(rf"^{re.escape(inner.cls_name or '')}:\s*", "", message)
    text = " ".join(line.strip() for line in (inner.message or "").splitlines())
    where = ""
    for frame in reversed(inner.stack or []):
        found = _FRAME.search(frame)
        if found and "/pipelines/" in found.group(1):
            where = (
                f" ({Path(found.group(1)).relative_to(Path(__file__).resolve().parent.parent)}, line {found.group(2)})"
            )
            break
    prefix = f"step {step}" if step else "the run"
    if "No space left on device" in text or "ENOSPC" in text:
        return (
            f"disk full: {message}; nothing was published, the previous warehouse and reports are whole "
            "(free some space; DuckDB's spill files go to DUCKDB_TEMP_DIRECTORY, at most "
            "DUCKDB_MAX_TEMP_DIRECTORY_SIZE)"
        )
    if "Could not set lock on file" in text:
        holder = re.search(r"\(PID (\d+)\)", text)
        return (
            f"{prefix} failed: the warehouse file is open in another program"
            f"{f' (PID {holder.group(1)})' if holder else ''}: {message}"
        )
    return f"{prefix} failed: {inner.cls_name}: {message}{where}"


def load_table_lines(loads: list[tuple]) -> list[str]:
    """The table of rows read, loaded and rejected. Each column is as wide as its widest
    cell plus two spaces (10,000,000 and 9,861,312 stay apart), and never narrower than
    the layout for small packages: table 14, read 9, loaded 9, rejected 10."""
    rows = [("table", "read", "loaded", "rejected")]
    rows += [(source, f"{read:,}", f"{loaded:,}", f"{rejected:,}") for source, _file, read, loaded, rejected in loads]
    widths = [max(minimum, max(len(row[i]) for row in rows) + 2) for i, minimum in enumerate((14, 9, 9, 10))]
    return [
        "  " + row[0].ljust(widths[0]) + "".join(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))
        for row in rows
    ]


def print_summary(settings: Settings, started: float, seconds: float) -> None:
    from pipelines.warehouse import connect

    with connect(settings.warehouse_path, read_only=True, lake=settings.lake) as conn:
        loads = conn.execute(
            "SELECT source, file, rows_read, rows_loaded, rows_rejected FROM audit.load_summary"
        ).fetchall()
        fingerprint, currency = conn.execute("SELECT fingerprint, reporting_currency FROM audit.package").fetchone()
        rules = conn.execute(
            "SELECT source, rule, count(*) FROM audit.rejects GROUP BY ALL ORDER BY source, rule"
        ).fetchall()
        marts = [
            (name, conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
            for (name,) in conn.execute(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1"
            ).fetchall()
        ]
    print(f"\nLoaded package {fingerprint} (amounts in {currency}):")
    for line in load_table_lines(loads):
        print(line)
    if rules:
        print("  Rejected rows by rule (details with line numbers in audit.rejects):")
        for source, rule, count in rules:
            print(f"    {source}: {rule} × {count}")
    for name, rows in marts:
        print(f"Published {name} ({rows:,} rows)")
    reports = sorted(p for p in settings.reports_dir.rglob("*.pdf") if p.stat().st_mtime >= started - 1)
    for path in reports:
        print(f"Report:    {path}")
    print(f"\nDone in {seconds:.1f} s. Warehouse: {warehouse_name(settings)}")


def warehouse_name(settings: Settings) -> str:
    if settings.lake is None:
        return str(settings.warehouse_path)
    return f"DuckLake, catalog {settings.lake.catalog!r}, data in {settings.lake.data_path}"
