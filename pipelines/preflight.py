"""Settings checked before anything runs: `partner-reports run` calls `check_settings`
before Dagster starts, so a setting that cannot work ends with one line and exit status
2, and nothing is written (no warehouse file, no report folder).

What is checked, beyond what `Settings.from_env` already refuses (a currency that is not
three letters, a date or share that does not parse, an organisation name with control
characters or too long):

- the package folder exists, the warehouse file and the reports folder can be written and
  have MIN_FREE_DISK_SPACE free (`output_checks.py`, also run by the run itself);
- with DuckLake, the data folder can be written and the catalog's PostgreSQL answers
  (`lake.check_lake`, also run by the run itself);
- the reporting currency is an ISO 4217 code and, unless it is EUR, the package's
  `fx_rates` table has rows for it (an imported package: or the importers' IMF table
  has it), since without rates every amount would be rejected and the reports empty;
- a reporting period asked for is a year, quarter or fiscal year inside the plausible dates.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from pipelines.ingest.iso4217 import currency_codes
from pipelines.output_checks import check_data_dir, check_outputs
from pipelines.settings import Settings, SettingsError

IMF_TABLE = Path(__file__).resolve().parent.parent / "data" / "reference" / "imf_annual_per_usd.csv"
PERIOD = re.compile(r"(?:FY)?(\d{4})(-Q[1-4])?")  # 2025, 2025-Q3, FY2026 (settings.REPORT_PERIOD checks the form)


def check_settings(settings: Settings, period: str | None = None) -> None:
    """Raise SettingsError or OutputError (one line) for the first setting that cannot work."""
    check_data_dir(settings.partner_data_dir)
    check_outputs(settings.warehouse_path, settings.reports_dir, settings.run.min_free_space)
    if settings.lake is not None:
        from pipelines.lake import check_lake

        check_lake(settings.lake, settings.run.min_free_space)
    _currency(settings.reporting_currency, settings.partner_data_dir)
    if period is not None:
        _period(period, settings)


def _currency(code: str, data: Path) -> None:
    if code not in currency_codes():
        raise SettingsError(f"REPORTING_CURRENCY={code!r} is not an ISO 4217 code")
    if code == "EUR":
        return
    from pipelines.importers.workspace import has_standard_files

    if code in package_rate_currencies(data):
        return
    if has_standard_files(data) and code in imf_currencies():
        return
    raise SettingsError(
        f"REPORTING_CURRENCY={code}: the package's fx_rates has no {code} rate "
        "(every amount would be rejected); add its rates or report in EUR"
    )


def package_rate_currencies(data: Path) -> set[str]:
    """Currencies with a row in the package's fx_rates file (CSV or Parquet); empty when it
    has none or cannot be read (the load then says why)."""
    csv_file, parquet_file = data / "fx_rates.csv", data / "fx_rates.parquet"
    try:
        if csv_file.is_file() and not csv_file.is_symlink():
            with csv_file.open(encoding="utf-8-sig", newline="") as handle:
                rows = csv.reader(handle)
                header = next(rows, [])
                if "currency" not in header:
                    return set()
                at = header.index("currency")
                return {row[at].strip().upper() for row in rows if len(row) > at}
        if parquet_file.is_file() and not parquet_file.is_symlink():
            import duckdb

            with duckdb.connect() as conn:
                return {
                    r[0].strip().upper()
                    for r in conn.execute(
                        "SELECT DISTINCT currency::VARCHAR FROM read_parquet(?) WHERE currency IS NOT NULL",
                        [str(parquet_file)],
                    ).fetchall()
                }
    except Exception:  # unreadable or odd: the load names the problem
        return set()
    return set()


def imf_currencies() -> set[str]:
    with IMF_TABLE.open(encoding="utf-8") as handle:
        return {row[0] for row in list(csv.reader(handle))[1:] if row} | {"USD"}


def _period(period: str, settings: Settings) -> None:
    match = PERIOD.fullmatch(period)
    if not match:
        raise SettingsError(
            f"--period {period!r} is neither a year (2025), a quarter (2025-Q3) nor a fiscal year (FY2026)"
        )
    low, high = settings.plausible_dates
    if not low.year <= int(match[1]) <= high.year:
        raise SettingsError(f"--period {period}: outside the plausible dates {low} to {high}")
