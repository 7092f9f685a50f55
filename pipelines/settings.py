"""Environment -> typed settings. The names and defaults are those of the data contract."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
TEMPLATES_DIR = PROJECT_ROOT / "report_templates"

DEFAULTS = {
    "PARTNER_DATA_DIR": "data/sample",
    "WAREHOUSE_PATH": "data/warehouse.duckdb",
    "REPORTS_DIR": "reports",
    "REPORTING_CURRENCY": "EUR",
    "PLAUSIBLE_DATE_FROM": "1900-01-01",
    "PLAUSIBLE_DATE_TO": "2100-12-31",
    "MAX_REJECTED_SHARE": "0.5",
}
DEFAULT_ORGANISATION = "Library Federation — Partnerships"
ORGANISATION_MAX_CHARS = 120
# Plausible-date settings must stay inside these, so that a period and the year after it
# are always dates Python and the metrics can form.
DATE_SETTING_RANGE = (date(1000, 1, 1), date(9000, 12, 31))


# Optional settings, not in the data contract (docs/reports.md, "Fiscal-year reports").
REPORT_PERIOD = re.compile(r"[0-9]{4}(-Q[1-4])?|FY[0-9]{4}")  # as pipelines/reports/paths.PERIOD


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message says which and why."""


SIZE = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)|\d+(\.\d+)?\s*%", re.IGNORECASE)


def default_memory_limit() -> str:
    """The smaller of 3 GB and half the machine's memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "3GB"
    return "3GB" if total // 2 >= 3_000_000_000 else f"{total // 2 // 1_000_000}MB"


@dataclass(frozen=True)
class DuckDBSettings:
    """How much memory and disk DuckDB may use: every connection to the warehouse gets
    these (`pipelines.warehouse.connect`). Beyond `memory_limit`, DuckDB spills the
    intermediate results of large joins, sorts and temporary tables to `temp_directory`
    instead of failing."""

    memory_limit: str = field(default_factory=default_memory_limit)
    """DUCKDB_MEMORY_LIMIT: e.g. `3GB`, `512MB` or `50%` of the machine's memory."""
    temp_directory: Path | None = None
    """DUCKDB_TEMP_DIRECTORY; None: next to the warehouse file (`<WAREHOUSE_PATH>.tmp`)."""
    max_temp_directory_size: str | None = None
    """DUCKDB_MAX_TEMP_DIRECTORY_SIZE; None: DuckDB's default, 90 % of the free disk space."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DuckDBSettings:
        if environ is None:
            load_dotenv(override=False)
            environ = dict(os.environ)
        memory = (environ.get("DUCKDB_MEMORY_LIMIT") or "").strip()
        temp_size = (environ.get("DUCKDB_MAX_TEMP_DIRECTORY_SIZE") or "").strip()
        for name, value in (("DUCKDB_MEMORY_LIMIT", memory), ("DUCKDB_MAX_TEMP_DIRECTORY_SIZE", temp_size)):
            if value and not SIZE.fullmatch(value):
                raise SettingsError(f"{name}={value!r} is not a size such as 3GB, 512MB or 50%")
        temp = (environ.get("DUCKDB_TEMP_DIRECTORY") or "").strip()
        return cls(
            memory_limit=memory or default_memory_limit(),
            temp_directory=resolve(temp) if temp else None,
            max_temp_directory_size=temp_size or None,
        )


def parse_size(text: str) -> int:
    """'1GB', '512MB', '20 MiB', '0' -> bytes (a plain number is bytes)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B)?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(text)
    number, unit = float(match.group(1)), (match.group(2) or "B").upper()
    base = 1024 if "I" in unit else 1000
    return int(number * base ** "BKMGT".index(unit[0]))


@dataclass(frozen=True)
class RunSettings:
    """How a run guards its outputs (pipelines/runlock.py, pipelines/output_checks.py)."""

    lock_timeout: float = 600.0
    """WAREHOUSE_LOCK_TIMEOUT: seconds a run waits for another run on the same warehouse
    to finish before it gives up (0: give up at once)."""
    min_free_space: int = 1_000_000_000
    """MIN_FREE_DISK_SPACE: a run does not start when the warehouse's or the reports'
    folder has less free space than this (bytes; `1GB`, `200MB`, `0` to not check)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RunSettings:
        if environ is None:
            load_dotenv(override=False)
            environ = dict(os.environ)
        timeout = (environ.get("WAREHOUSE_LOCK_TIMEOUT") or "").strip()
        space = (environ.get("MIN_FREE_DISK_SPACE") or "").strip()
        try:
            seconds = float(timeout) if timeout else cls.lock_timeout
            if seconds < 0 or seconds != seconds:
                raise ValueError
        except ValueError:
            raise SettingsError(f"WAREHOUSE_LOCK_TIMEOUT={timeout!r} is not a number of seconds (0 or more)") from None
        try:
            free = parse_size(space) if space else cls.min_free_space
        except ValueError:
            raise SettingsError(f"MIN_FREE_DISK_SPACE={space!r} is not a size such as 1GB, 200MB or 0") from None
        return cls(lock_timeout=seconds, min_free_space=free)


CATALOG_PASSWORD = re.compile(r"(^|\s)password\s*=|://[^/@\s]*:[^/@\s]*@|[?&]password=", re.IGNORECASE)


@dataclass(frozen=True)
class LakeSettings:
    """The DuckLake warehouse (docs/production.md, "Warehouse modes"): a PostgreSQL catalog
    and a folder for the Parquet data files. None in `Settings.lake`: the DuckDB file."""

    catalog: str
    """WAREHOUSE_CATALOG: a PostgreSQL connection, `host=db port=5432 dbname=lake user=reports`
    or `postgresql://reports@db:5432/lake`, without a password (PGPASSWORD or ~/.pgpass give it:
    the setting is shown in Dagster's UI as the resource's configuration)."""
    data_path: Path
    """WAREHOUSE_DATA_PATH: the folder that holds the warehouse's Parquet files, shared by every
    machine that runs the pipeline (a network file system)."""

    @classmethod
    def from_env(cls, environ: dict[str, str]) -> LakeSettings | None:
        catalog = (environ.get("WAREHOUSE_CATALOG") or "").strip()
        data_path = (environ.get("WAREHOUSE_DATA_PATH") or "").strip()
        if not catalog:
            if data_path:
                raise SettingsError(
                    "WAREHOUSE_DATA_PATH is set but WAREHOUSE_CATALOG is empty: set both for "
                    "DuckLake, or neither for the DuckDB file WAREHOUSE_PATH"
                )
            return None
        if CATALOG_PASSWORD.search(catalog):
            raise SettingsError(
                "WAREHOUSE_CATALOG holds a password: remove it and give it in PGPASSWORD "
                "or ~/.pgpass (the setting is shown in Dagster's UI)"
            )
        if not data_path:
            raise SettingsError(
                "WAREHOUSE_CATALOG is set but WAREHOUSE_DATA_PATH is empty: name the folder "
                "for the warehouse's Parquet files"
            )
        if re.match(r"[a-z][a-z0-9+.-]*://", data_path, re.IGNORECASE):
            raise SettingsError(
                f"WAREHOUSE_DATA_PATH={data_path!r}: object stores are not supported yet; "
                "name a folder (a network file system shared by the machines)"
            )
        return cls(catalog=catalog, data_path=resolve(data_path))


@dataclass(frozen=True)
class Settings:
    partner_data_dir: Path
    warehouse_path: Path
    reports_dir: Path
    reporting_currency: str
    duckdb: DuckDBSettings = field(default_factory=DuckDBSettings)
    # REPORT_PERIOD: the period the reports cover when no run config names one ('2025',
    # '2025-Q3', 'FY2026'); None = the latest complete calendar year with money or activity.
    report_period: str | None = None
    # FISCAL_YEAR_START_MONTH: 1 = calendar years only; another month adds fiscal years to the
    # marts (metric_settings.fiscal_year_start_month) and a schedule for fiscal-year reports.
    fiscal_year_start_month: int = 1
    plausible_dates: tuple[date, date] = (date(1900, 1, 1), date(2100, 12, 31))
    """PLAUSIBLE_DATE_FROM, PLAUSIBLE_DATE_TO: a date outside is rejected (implausible_date)."""
    max_rejected_share: float = 0.5
    """MAX_REJECTED_SHARE: a table with more rejected rows than this share of its rows
    fails the blocking check `tables_mostly_loaded` (as does one that loaded none)."""
    organisation: str = DEFAULT_ORGANISATION
    """ORGANISATION_NAME: the name on the reports' cover."""
    run: RunSettings = field(default_factory=RunSettings)
    lake: LakeSettings | None = None
    """WAREHOUSE_CATALOG, WAREHOUSE_DATA_PATH: the DuckLake warehouse; None: the DuckDB file.
    With DuckLake, WAREHOUSE_PATH names no data: its folder is this machine's working folder
    (run lock, spill files, imported packages)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read the environment (and a `.env` file in the working directory)."""
        if environ is None:
            load_dotenv(override=False)
            environ = dict(os.environ)
        value = {name: environ.get(name) or default for name, default in DEFAULTS.items()}
        currency = value["REPORTING_CURRENCY"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise SettingsError(f"REPORTING_CURRENCY={value['REPORTING_CURRENCY']!r} is not an ISO 4217 code")
        period = (environ.get("REPORT_PERIOD") or "").strip() or None
        if period is not None and not REPORT_PERIOD.fullmatch(period):
            raise SettingsError(
                f"REPORT_PERIOD={period!r} is neither a year (2025), a quarter (2025-Q3) nor a fiscal year (FY2026)"
            )
        start = (environ.get("FISCAL_YEAR_START_MONTH") or "1").strip()
        if not start.isdigit() or not 1 <= int(start) <= 12:
            raise SettingsError(f"FISCAL_YEAR_START_MONTH={start!r} is not a month number 1–12")
        if period and period.startswith("FY") and int(start) == 1:
            raise SettingsError(
                f"REPORT_PERIOD={period!r} is a fiscal year, but FISCAL_YEAR_START_MONTH is 1 "
                "(calendar years only): set the month the fiscal year starts"
            )
        window = (
            _date_setting("PLAUSIBLE_DATE_FROM", value["PLAUSIBLE_DATE_FROM"]),
            _date_setting("PLAUSIBLE_DATE_TO", value["PLAUSIBLE_DATE_TO"]),
        )
        if window[0] >= window[1]:
            raise SettingsError(f"PLAUSIBLE_DATE_FROM={window[0]} is not before PLAUSIBLE_DATE_TO={window[1]}")
        try:
            share = float(value["MAX_REJECTED_SHARE"])
        except ValueError:
            share = -1.0
        if not 0 <= share <= 1:
            raise SettingsError(
                f"MAX_REJECTED_SHARE={value['MAX_REJECTED_SHARE']!r} is not a share from 0 to 1 (e.g. 0.5)"
            )
        return cls(
            partner_data_dir=resolve(value["PARTNER_DATA_DIR"]),
            warehouse_path=resolve(value["WAREHOUSE_PATH"]),
            reports_dir=resolve(value["REPORTS_DIR"]),
            reporting_currency=currency,
            duckdb=DuckDBSettings.from_env(environ),
            report_period=period,
            fiscal_year_start_month=int(start),
            plausible_dates=window,
            max_rejected_share=share,
            organisation=organisation_name(environ.get("ORGANISATION_NAME")),
            run=RunSettings.from_env(environ),
            lake=LakeSettings.from_env(environ),
        )


def _date_setting(name: str, text: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise SettingsError(f"{name}={text!r} is not a date YYYY-MM-DD") from None
    low, high = DATE_SETTING_RANGE
    if not low <= day <= high:
        raise SettingsError(f"{name}={text!r} is outside {low} to {high}")
    return day


def organisation_name(text: str | None) -> str:
    """ORGANISATION_NAME, checked: printable text (no control or bidirectional control
    character) of at most ORGANISATION_MAX_CHARS characters; empty → the default."""
    name = (text or "").strip()
    if not name:
        return DEFAULT_ORGANISATION
    bad = next(
        (c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") and c not in "\u200d\u200c"), None
    )  # joiners are part of some scripts' words
    if bad is not None:
        raise SettingsError(f"ORGANISATION_NAME holds U+{ord(bad):04X}, a control or formatting character")
    if len(name) > ORGANISATION_MAX_CHARS:
        raise SettingsError(f"ORGANISATION_NAME has {len(name)} characters; at most {ORGANISATION_MAX_CHARS}")
    return name


def resolve(path: str) -> Path:
    """Relative paths are relative to the project root, so `make run` works from anywhere."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (PROJECT_ROOT / p)
