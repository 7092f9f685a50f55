"""Packages that arrive as published standard files: a package folder (PARTNER_DATA_DIR)
may hold `iati/` and/or `360giving/` subfolders next to (or instead of) its own tables.

`build_imported_package` makes one complete package in a work folder next to the
warehouse: the package's own tables first (CSV copied, Parquet converted to CSV), then
the standard files imported into it, merging by key (the office's own regions,
countries, partners and rates win; see package.py). The loader then loads that folder
instead of PARTNER_DATA_DIR: `package_to_load` says which folder to load.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from pipelines.importers.iati import import_iati
from pipelines.importers.package import COLUMNS, ImportSummary
from pipelines.importers.threesixtygiving import import_360giving

STANDARD_FOLDERS = ("iati", "360giving")


def imported_dir(warehouse_path: str | Path) -> Path:
    return Path(warehouse_path).resolve().parent / "imported"


def has_standard_files(data_dir: str | Path) -> bool:
    return any((Path(data_dir) / name).is_dir() for name in STANDARD_FOLDERS)


def package_to_load(data_dir: str | Path, warehouse_path: str | Path) -> Path:
    """The folder the loader should read: the combined work folder when the package has
    standard-file subfolders, else the package folder itself."""
    return imported_dir(warehouse_path) if has_standard_files(data_dir) else Path(data_dir)


def build_imported_package(
    data_dir: str | Path, work_dir: str | Path, log: Callable[[str], None] | None = None
) -> dict[str, ImportSummary]:
    """Rebuild `work_dir` from scratch: own tables, then iati/, then 360giving/; `log`
    receives the IATI import's progress lines (files done, MB/s)."""
    data_dir, work_dir = Path(data_dir), Path(work_dir)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    for table in COLUMNS:
        csv_file, parquet_file = data_dir / f"{table}.csv", data_dir / f"{table}.parquet"
        if csv_file.exists():
            shutil.copyfile(csv_file, work_dir / csv_file.name)
        elif parquet_file.exists():
            import polars as pl

            pl.read_parquet(parquet_file).write_csv(work_dir / f"{table}.csv")
    summaries = {}
    if (data_dir / "iati").is_dir():
        summaries["iati"] = import_iati([data_dir / "iati"], work_dir, log=log)
    if (data_dir / "360giving").is_dir():
        summaries["360giving"] = import_360giving([data_dir / "360giving"], work_dir)
    return summaries
