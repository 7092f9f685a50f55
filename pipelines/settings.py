"""Environment -> typed settings. The names and defaults are those of the data contract."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
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
}


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
    def from_env(cls, environ: dict[str, str] | None = None) -> "DuckDBSettings":
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
    """How a run guards its outputs (pipelines/runlock.py, pipelines/preflight.py)."""

    lock_timeout: float = 600.0
    """WAREHOUSE_LOCK_TIMEOUT: seconds a run waits for another run on the same warehouse
    to finish before it gives up (0: give up at once)."""
    min_free_space: int = 1_000_000_000
    """MIN_FREE_DISK_SPACE: a run does not start when the warehouse's or the reports'
    folder has less free space than this (bytes; `1GB`, `200MB`, `0` to not check)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "RunSettings":
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


@dataclass(frozen=True)
class Settings:
    partner_data_dir: Path
    warehouse_path: Path
    reports_dir: Path
    reporting_currency: str
    duckdb: DuckDBSettings = field(default_factory=DuckDBSettings)
    run: RunSettings = field(default_factory=RunSettings)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Read the environment (and a `.env` file in the working directory)."""
        if environ is None:
            load_dotenv(override=False)
            environ = dict(os.environ)
        value = {name: environ.get(name) or default for name, default in DEFAULTS.items()}
        currency = value["REPORTING_CURRENCY"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise SettingsError(
                f"REPORTING_CURRENCY={value['REPORTING_CURRENCY']!r} is not an ISO 4217 code"
            )
        return cls(
            partner_data_dir=resolve(value["PARTNER_DATA_DIR"]),
            warehouse_path=resolve(value["WAREHOUSE_PATH"]),
            reports_dir=resolve(value["REPORTS_DIR"]),
            reporting_currency=currency,
            duckdb=DuckDBSettings.from_env(environ),
            run=RunSettings.from_env(environ),
        )


def resolve(path: str) -> Path:
    """Relative paths are relative to the project root, so `make run` works from anywhere."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (PROJECT_ROOT / p)
