"""Environment -> typed settings. The names and defaults are those of the data contract."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Settings:
    partner_data_dir: Path
    warehouse_path: Path
    reports_dir: Path
    reporting_currency: str

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
        )


def resolve(path: str) -> Path:
    """Relative paths are relative to the project root, so `make run` works from anywhere."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (PROJECT_ROOT / p)
