"""Read one table file of a package into an all-text Polars frame, with line numbers.

Typing and validation happen afterwards in SQL; here a file is only found, decoded and
checked for the columns it must have. Anything that makes a whole file unusable raises
`PackageError` with a message naming the file (and the line or column).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import polars as pl

from pipelines.ingest.contract import Table

SUFFIXES = (".csv", ".parquet")


class PackageError(Exception):
    """A package, or one of its files, that cannot be loaded at all."""


def find_file(folder: Path, table: Table) -> Path:
    candidates = [folder / f"{table.name}{suffix}" for suffix in SUFFIXES]
    present = [p for p in candidates if p.is_file()]
    if not present:
        raise PackageError(
            f"{folder}: table '{table.name}' is missing (expected {table.name}.csv or {table.name}.parquet)"
        )
    if len(present) > 1:
        raise PackageError(
            f"{folder}: table '{table.name}' is given twice ({present[0].name} and {present[1].name}); keep one"
        )
    return present[0]


def read_table(path: Path, table: Table) -> pl.DataFrame:
    """Columns: `_line` (line in the file, header = 1), `_raw` (the row as read, JSON),
    `_blank` (every field empty), then every contract column as trimmed text or null."""
    frame = _read_parquet(path) if path.suffix == ".parquet" else _read_csv(path)
    original = [c for c in frame.columns if c != "_line"]
    missing = [c for c in table.required if c not in original]
    if missing:
        raise PackageError(
            f"{path}: required column '{missing[0]}' is missing"
            f" (the header has: {', '.join(original) or 'nothing'})"
        )
    values = {
        c: pl.col(c).str.strip_chars().replace("", None) if c in original else pl.lit(None, pl.String)
        for c in table.columns
    }
    return frame.select(
        pl.col("_line").cast(pl.Int64),
        pl.struct(original).struct.json_encode().alias("_raw") if original else pl.lit("{}").alias("_raw"),
        pl.all_horizontal(pl.col(c).str.strip_chars().replace("", None).is_null() for c in original).alias("_blank"),
        **values,
    )


def _read_csv(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, infer_schema=False, has_header=True, encoding="utf8", quote_char='"')
    except pl.exceptions.NoDataError:
        raise PackageError(f"{path}: the file is empty (a header row is required)") from None
    except pl.exceptions.ComputeError as err:
        raise PackageError(_explain_csv_error(path, err)) from None
    duplicated = [c for c in frame.columns if c.endswith("_duplicated_0")]
    if duplicated:
        raise PackageError(f"{path}: column '{duplicated[0].removesuffix('_duplicated_0')}' appears twice in the header")
    # A quoted field may hold line breaks; count them so `_line` is the physical line
    # a record starts on, as an editor shows it.
    breaks = pl.sum_horizontal(pl.col(c).str.count_matches("\n").fill_null(0) for c in frame.columns)
    header_lines = 1 + sum(c.count("\n") for c in frame.columns)
    return frame.with_columns(
        (header_lines + 1 + pl.int_range(pl.len()) + breaks.cum_sum().shift(1, fill_value=0)).alias("_line")
    )


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except Exception as err:  # polars raises several types for a broken file
        raise PackageError(f"{path}: not a readable Parquet file ({err.__class__.__name__}: {err})") from None
    # Parquet has no lines; row n is reported as line n + 1 so that numbering matches a CSV export.
    return frame.select(pl.all().cast(pl.String)).with_columns(
        (pl.int_range(pl.len()) + 2).alias("_line")
    )


def _explain_csv_error(path: Path, err: Exception) -> str:
    """Turn a parser error into a message naming the line; only runs for a broken file."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        line = data.count(b"\n", 0, bad.start) + 1
        return f"{path}, line {line}: not valid UTF-8 (byte 0x{data[bad.start]:02x}); save the file as UTF-8"
    reader = csv.reader(text.removeprefix("\ufeff").splitlines(keepends=True))
    header = next(reader, [])
    start = reader.line_num + 1
    for row in reader:
        if len(row) > len(header):
            return f"{path}, line {start}: the row has {len(row)} fields but the header has {len(header)}"
        start = reader.line_num + 1
    return f"{path}: not a readable CSV file ({err})"


def package_fingerprint(files: list[Path]) -> str:
    """12 hex digits of SHA-256 over the files' names and bytes: tells two packages apart."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]
