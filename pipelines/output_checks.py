"""Checks a run makes before any work (and again when a run starts): can it write what it will write?

- the package folder exists (PARTNER_DATA_DIR);
- WAREHOUSE_PATH names a file (or nothing yet) in a folder this process can write, and an
  existing file is one this DuckDB can read (a file written by another DuckDB storage
  version, e.g. DuckDB 2.0 before the project moved to 1.4 LTS, is named as such);
- REPORTS_DIR is a folder (made if missing) this process can write;
- with DuckLake, WAREHOUSE_DATA_PATH is a folder this process can write (pipelines/lake.py
  also checks that the catalog answers);
- each has at least MIN_FREE_DISK_SPACE free.

Writability is tried, not guessed from mode bits (root may not write on a read-only
mount either): a probe file is created and removed. Each failure raises `OutputError`
with one line naming the setting, the path and the reason.
"""

from __future__ import annotations

import functools
import os
import struct
import tempfile
from pathlib import Path

import duckdb


class OutputError(Exception):
    """An output path a run cannot use; the message names the setting and the path."""


def check_data_dir(data_dir: Path) -> None:
    if not Path(data_dir).is_dir():
        what = "is a file, not a folder" if Path(data_dir).exists() else "does not exist"
        raise OutputError(f"PARTNER_DATA_DIR {data_dir} {what}: nothing to load")


def check_warehouse(warehouse: Path, min_free: int) -> None:
    warehouse = Path(warehouse)
    if warehouse.is_dir():
        raise OutputError(
            f"WAREHOUSE_PATH {warehouse} is a folder; it must name a file (e.g. {warehouse / 'warehouse.duckdb'})"
        )
    if warehouse.exists() and not warehouse.is_file():
        raise OutputError(f"WAREHOUSE_PATH {warehouse} is not a regular file")
    _writable_folder(warehouse.parent, "WAREHOUSE_PATH", f"the folder of WAREHOUSE_PATH {warehouse}")
    _free_space(warehouse.parent, min_free, "WAREHOUSE_PATH")
    _readable_storage(warehouse)


def _storage_version(path: Path) -> int | None:
    """The storage version in a DuckDB file's header ('DUCK' at byte 8, then a uint64)."""
    with open(path, "rb") as file:
        header = file.read(20)
    return struct.unpack("<Q", header[12:20])[0] if header[8:12] == b"DUCK" else None


@functools.cache
def _own_storage_version() -> int | None:
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe.duckdb"
        duckdb.connect(str(probe)).close()
        return _storage_version(probe)


def _readable_storage(warehouse: Path) -> None:
    """Only a file of another storage version is opened (read-only, once): the common case
    costs a 20-byte read and never touches a warehouse another process is writing."""
    if not warehouse.is_file() or warehouse.stat().st_size < 20:
        return
    version = _storage_version(warehouse)
    if version is None or version == _own_storage_version():
        return
    try:
        duckdb.connect(str(warehouse), read_only=True).close()
    except duckdb.IOException as err:
        if "version number" not in str(err):
            return  # e.g. another process holds it: the run lock deals with that
        raise OutputError(
            f"WAREHOUSE_PATH {warehouse} was written by another DuckDB version (storage version {version}) "
            f"than this project's DuckDB {duckdb.__version__} can read: move it aside or delete it; "
            "the next run builds it again from the package"
        ) from None


def check_data_path(data_path: Path, min_free: int) -> None:
    """WAREHOUSE_DATA_PATH (DuckLake's Parquet files): a folder (made if missing) this
    process can write, with MIN_FREE_DISK_SPACE free."""
    data_path = Path(data_path)
    if data_path.exists() and not data_path.is_dir():
        raise OutputError(f"WAREHOUSE_DATA_PATH {data_path} is a file, not a folder")
    _writable_folder(data_path, "WAREHOUSE_DATA_PATH", f"WAREHOUSE_DATA_PATH {data_path}")
    _free_space(data_path, min_free, "WAREHOUSE_DATA_PATH")


def check_reports_dir(reports_dir: Path, min_free: int) -> None:
    reports_dir = Path(reports_dir)
    if reports_dir.exists() and not reports_dir.is_dir():
        raise OutputError(f"REPORTS_DIR {reports_dir} is a file, not a folder")
    _writable_folder(reports_dir, "REPORTS_DIR", f"REPORTS_DIR {reports_dir}")
    _free_space(reports_dir, min_free, "REPORTS_DIR")


def check_outputs(warehouse: Path, reports_dir: Path | None, min_free: int) -> None:
    check_warehouse(warehouse, min_free)
    if reports_dir is not None:
        check_reports_dir(reports_dir, min_free)


def _writable_folder(folder: Path, setting: str, what: str) -> None:
    """`folder` can be written, or made (nothing is made here: its nearest existing
    ancestor is tried instead)."""
    nearest = _existing(folder)
    if not nearest.is_dir():
        raise OutputError(f"{what}: {nearest} is a file, so the folder cannot be made")
    try:
        fd, probe = tempfile.mkstemp(dir=nearest, prefix=".partner-reports-probe-")
    except OSError as err:
        where = "" if nearest == folder else f" (its nearest existing folder {nearest} is not)"
        raise OutputError(f"{what} is not writable{where}: {err.strerror}") from None
    os.close(fd)
    os.unlink(probe)


def _existing(path: Path) -> Path:
    return next(p for p in [path, *path.parents] if p.exists())


def _free_space(folder: Path, min_free: int, setting: str) -> None:
    if min_free <= 0:
        return
    folder = _existing(folder)
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    if free < min_free:
        raise OutputError(
            f"only {human(free)} free in {folder} ({setting}); a run needs {human(min_free)} (MIN_FREE_DISK_SPACE)"
        )


def human(size: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} TB"  # pragma: no cover
