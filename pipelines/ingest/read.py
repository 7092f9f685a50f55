"""Read one table file of a package into DuckDB, as text, with line numbers.

DuckDB reads the file itself (`read_csv` with every column as text, or `read_parquet`)
into a temporary table; two views then give the staging queries what they need:

- `src_rows`: `_line` (the physical line a record starts on, header = 1) and the file's
  own columns as read, named `c0`, `c1`, … in header order (any header name works, even
  an empty one). Only rejected rows are turned into JSON, from this view.
- `src`: `_line`, `_blank` (every field empty) and every contract column as trimmed text
  or NULL (a missing optional column is NULL throughout): what `sql/staging/*.sql` read.

Typing and validation happen afterwards in SQL. Anything that makes a whole file unusable
raises `PackageError` with a message naming the file (and the line or column).

Line numbers. DuckDB returns records in file order but not their lines, and it skips
empty lines. A file whose physical line count equals header lines + records has neither
line breaks inside quoted fields nor empty lines, so record n is on line header + n:
the common case, which costs a count of the file's newline bytes (done with the
fingerprint, `scan_files`). Otherwise Python's csv module reads the file once more, only
for the line each record starts on and where the empty lines are (rejected as
`empty_row`, so that every line of a file is loaded or rejected).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import stat
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.file_hash import file_sha256
from pipelines.ingest.contract import FREE_TEXT, Table

SUFFIXES = (".csv", ".parquet")
MAX_COLUMNS = 1_000
"""A header with more columns is refused before anything else is read (the contract has at
most 10 columns per table; extra columns are kept but ignored)."""
MAX_HEADER_BYTES = 1 << 20
"""A header line longer than this (1 MiB) is refused the same way."""


class PackageError(Exception):
    """A package, or one of its files, that cannot be loaded at all."""


def find_file(folder: Path, table: Table) -> Path:
    """The table's file in `folder`: a regular file directly inside it. A link (even to a
    file inside the package), a folder, a device or a pipe of that name is refused, and the
    message quotes nothing from what it points to."""
    candidates = [folder / f"{table.name}{suffix}" for suffix in SUFFIXES]
    present = [p for p in candidates if _confined(p)]
    if not present:
        raise PackageError(
            f"{folder}: table '{table.name}' is missing (expected {table.name}.csv or {table.name}.parquet)"
        )
    if len(present) > 1:
        raise PackageError(
            f"{folder}: table '{table.name}' is given twice ({present[0].name} and {present[1].name}); keep one"
        )
    return present[0]


def _confined(path: Path) -> bool:
    """True for a regular file; False when nothing has that name; PackageError for anything else."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as err:
        raise PackageError(f"{path}: cannot be read ({err.strerror})") from None
    if stat.S_ISLNK(mode):
        raise PackageError(
            f"{path}: is a link; table files must be regular files inside the package "
            "folder (copy the file in instead of linking to it)"
        )
    if not stat.S_ISREG(mode):
        raise PackageError(
            f"{path}: is not a regular file; table files must be regular files inside the package folder"
        )
    return True


@dataclass(frozen=True)
class Source:
    """A table file whose header has been checked: what `read_into` needs."""

    path: Path
    table: Table
    header: tuple[str, ...]
    """The file's column names, in order (c0, c1, … in DuckDB)."""
    header_lines: int
    """Physical lines of the header: 1, unless a quoted name holds a line break."""

    @property
    def is_parquet(self) -> bool:
        return self.path.suffix == ".parquet"

    def column(self, name: str) -> str | None:
        """The DuckDB name (`c3`) of a contract column, None if the file has no such column."""
        return f"c{self.header.index(name)}" if name in self.header else None

    def raw_json(self, alias: str) -> str:
        """SQL for the row as read, as a JSON object of header name → text (empty → null)."""
        if not self.header:
            return "'{}'"
        pairs = ", ".join(f"{_literal(name)}, {alias}.c{i}" for i, name in enumerate(self.header))
        return f"json_object({pairs})::VARCHAR"


def inspect(path: Path, table: Table, conn: duckdb.DuckDBPyConnection) -> Source:
    """Read the header only and check it: not empty, no column twice, every required
    column present. Cheap, so the whole package is checked before the warehouse is touched."""
    if path.suffix == ".parquet":
        try:
            header = tuple(r[0] for r in conn.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall())
        except duckdb.Error as err:
            raise PackageError(f"{path}: not a readable Parquet file ({_first_line(err)})") from None
        header_lines = 1  # Parquet has no lines; row n is numbered n + 1, as a CSV export would be
    else:
        with path.open("rb") as handle:
            start = handle.read(MAX_HEADER_BYTES + 1)
        if len(start) > MAX_HEADER_BYTES and b"\n" not in start:
            raise PackageError(f"{path}: the header line is longer than {MAX_HEADER_BYTES:,} bytes")
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                header = tuple(next(reader, ()))
                header_lines = reader.line_num
        except UnicodeDecodeError:
            raise PackageError(_utf8_error(path) or f"{path}: not valid UTF-8") from None
        except csv.Error as err:
            raise PackageError(f"{path}: not a readable CSV file ({err})") from None
        if not header:
            raise PackageError(f"{path}: the file is empty (a header row is required)")
    if len(header) > MAX_COLUMNS:
        raise PackageError(f"{path}: the header has {len(header):,} columns; at most {MAX_COLUMNS:,} are read")
    twice = next((c for i, c in enumerate(header) if c in header[:i]), None)
    if twice is not None:
        raise PackageError(f"{path}: column '{_shown(twice)}' appears twice in the header")
    missing = [c for c in table.required if c not in header]
    if missing:
        raise PackageError(
            f"{path}: required column '{missing[0]}' is missing"
            f" (the header has: {', '.join(map(_shown, header)) or 'nothing'})"
        )
    return Source(path, table, header, header_lines)


# Bytes that start every white space character but the plain space, in UTF-8 (tab, vertical
# tab, form feed; U+0085 and U+00A0; U+1680; U+2000-U+205F; U+3000). Line breaks can only
# be inside quoted fields.
OTHER_SPACE = (b"\t", b"\x0b", b"\x0c", b"\xc2", b"\xe1", b"\xe2", b"\xe3")


@dataclass(frozen=True)
class Bytes:
    """What one pass over a file's bytes tells."""

    lines: int
    """Physical lines."""
    quotes: bool
    """Any double quote: else no field can hold a line break."""
    plain: bool
    """No quotes and no white space but plain spaces (a UTF-8 lead byte of one is enough
    to say no): fields need only spaces trimmed, which is much cheaper to test."""
    controls: bool = True
    """Any control character (C0 but the line feed, DEL, C1, the bidirectional controls):
    else, unless the file has quotes (a quoted field may hold a line break), no field
    needs the `control_character` test. Always True for Parquet (its bytes say nothing)."""


# Bytes that may start a control character in UTF-8 → 0, any other byte → 1: one
# `translate` and a search for b"\0" per block tell whether a file may hold any.
_CONTROL_LEADS = set(range(0x00, 0x0A)) | set(range(0x0B, 0x20)) | {0x7F, 0xC2, 0xE2}
_CONTROL_TABLE = bytes(0 if b in _CONTROL_LEADS else 1 for b in range(256))
# The characters themselves: C0 but LF (tab and CR are allowed in free text only); DEL;
# C1 (U+0080-U+009F); U+202A-U+202E; U+2066-U+2069. A line break inside a quoted field is
# looked for whenever the file has quotes (`Bytes.quotes`).
_CONTROL_BYTES = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def scan_files(files: list[Path]) -> tuple[str, dict[Path, Bytes]]:
    """One pass over the package's bytes: its fingerprint (12 hex digits of SHA-256 over
    the files' names and SHA-256s, tells two packages apart) and each file's `Bytes`."""
    fingerprint = hashlib.sha256()
    scans = {}
    for path in files:
        scan = _ByteScan(parquet=path.suffix == ".parquet")
        fingerprint.update(f"{path.name}\0{file_sha256(path, scan.see)}\n".encode())
        scans[path] = scan.result()
    return fingerprint.hexdigest()[:12], scans


class _ByteScan:
    """What `Bytes` says of a file, gathered block by block."""

    def __init__(self, parquet: bool):
        self.newlines, self.quotes, self.other_space, self.controls, self.last = 0, False, False, parquet, b"\n"

    def see(self, block: bytes) -> None:
        self.newlines += block.count(b"\n")
        self.quotes = self.quotes or b'"' in block
        self.other_space = self.other_space or any(byte in block for byte in OTHER_SPACE)
        if not self.controls:
            # with the previous block's last two bytes, a character cut there is seen whole
            window = self.last + block
            self.controls = b"\0" in window.translate(_CONTROL_TABLE) and bool(_CONTROL_BYTES.search(window))
        self.last = block[-2:]

    def result(self) -> Bytes:
        # a last line without a line break counts too
        lines = self.newlines + (self.last[-1:] != b"\n")
        return Bytes(lines, self.quotes, not self.quotes and not self.other_space, self.controls)


def package_fingerprint(files: list[Path]) -> str:
    return scan_files(files)[0]


def read_into(
    conn: duckdb.DuckDBPyConnection, source: Source, scan: Bytes | None, running: Callable[[float], None] | None = None
) -> int:
    """Read the file into the temp table `raw_<table>` and create the view `rows_<table>`
    (module docstring). Returns the rows read, empty lines included. Run it outside a
    transaction: row ids count from 0 only in a committed table. `running(fraction done)`
    is called every half second while DuckDB reads, if given (see `watch`)."""
    raw, rows_view, line_of = _names(source)
    names = [f"c{i}" for i in range(len(source.header))]
    if source.is_parquet:
        columns = ", ".join(f"{_identifier(name)}::VARCHAR AS c{i}" for i, name in enumerate(source.header))
        _execute(
            conn,
            f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT {columns} FROM read_parquet(?)",
            [str(source.path)],
            running,
        )
    else:
        _read_csv(conn, raw, source, names, scan, running)
    ((records,),) = conn.execute(f"SELECT count(*) FROM {raw}").fetchall()
    if source.is_parquet or scan.lines == source.header_lines + records:
        # Record n (rowid n - 1: a table keeps DuckDB's file order) starts on line header + n.
        conn.execute(
            f"CREATE OR REPLACE TEMP VIEW {rows_view} AS "
            f"SELECT rowid + {source.header_lines + 1} AS _line, * FROM {raw}"
        )
        return records
    rows = _lines_by_csv_module(conn, line_of, source, records)
    nulls = ", ".join(f"NULL::VARCHAR AS {n}" for n in names)
    conn.execute(f"""
        CREATE OR REPLACE TEMP VIEW {rows_view} AS
        SELECT l.line AS _line, r.* FROM {raw} AS r JOIN {line_of} AS l ON l.record = r.rowid
        UNION ALL
        SELECT line AS _line, {nulls} FROM {line_of} WHERE record IS NULL
    """)
    return rows


def create_src(conn: duckdb.DuckDBPyConnection, source: Source, scan: Bytes | None) -> str:
    """(Re)create the view `src` over a table read by `read_into`: what the staging query
    of the table reads. Returns the name of the `rows_<table>` view under it."""
    rows_view = _names(source)[1]
    clean = "clean_spaces" if scan and scan.plain else "clean"  # sql/staging/_macros.sql
    values = ", ".join(
        f"{clean}({source.column(c)}) AS {c}" if source.column(c) else f"NULL::VARCHAR AS {c}"
        for c in source.table.columns
    )
    blank = " AND ".join(f"{clean}(c{i}) IS NULL" for i in range(len(source.header)))
    control = NO_REJECT  # a file whose bytes hold no control character needs no test
    if scan is None or scan.controls or scan.quotes:
        tests = " ".join(
            f"WHEN regexp_matches({c}, '{pattern}') THEN control_reject('{c}', {c}, '{pattern}')"
            for c in source.table.columns
            if source.column(c)
            for pattern in [TEXT_CONTROLS if c in FREE_TEXT else CODE_CONTROLS]
        )
        control = f"CASE {tests} END" if tests else NO_REJECT
    conn.execute(
        f"CREATE OR REPLACE TEMP VIEW src AS SELECT *, {control} AS _control FROM "
        f"(SELECT _line, {blank} AS _blank, {values} FROM {rows_view})"
    )
    return rows_view


# Characters that no field may hold (rule `control_character`): C0 controls, DEL, C1 controls
# and the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
# which can make a name display as another ("abc\u202Etxt.exe" shows as "abcexe.txt").
# Free text (names, titles, notes) may also hold tab and line breaks; codes and ids may not.
# A typed "no reject" for the view's _control column (an untyped NULL would be INTEGER).
NO_REJECT = "NULL::STRUCT(rule VARCHAR, message VARCHAR)"
CODE_CONTROLS = r"[\x00-\x1f\x7f-\x9f\x{202A}-\x{202E}\x{2066}-\x{2069}]"
TEXT_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{202A}-\x{202E}\x{2066}-\x{2069}]"


def drop(conn: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Drop what `read_into` and `create_src` made for this table, if they exist."""
    raw, rows_view, line_of = _names(source)
    conn.execute(
        f"DROP VIEW IF EXISTS src; DROP VIEW IF EXISTS {rows_view}; "
        f"DROP TABLE IF EXISTS {line_of}; DROP TABLE IF EXISTS {raw}"
    )


def _names(source: Source) -> tuple[str, str, str]:
    name = source.table.name
    return f"raw_{name}", f"rows_{name}", f"line_of_{name}"


def _read_csv(conn, raw: str, source: Source, names: list[str], scan: Bytes, running) -> None:
    columns = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    # DuckDB's parallel reader cannot pad short rows once a quoted field holds a line
    # break: a file with any double quote is read by one thread (on two cores, as fast).
    try:
        _execute(
            conn,
            (
                f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT * FROM read_csv(?, header = true, "
                f"auto_detect = false, columns = {{{columns}}}, delim = ',', quote = '\"', escape = '\"', "
                f"strict_mode = true, null_padding = true, parallel = {str(not scan.quotes).lower()})"
            ),
            [str(source.path)],
            running,
        )
    except duckdb.Error as err:
        raise PackageError(_explain_csv_error(source.path, err)) from None


def _execute(conn, sql: str, params: list, running) -> None:
    if running is None:
        conn.execute(sql, params)
    else:
        with watch(conn, running):
            conn.execute(sql, params)


class watch:
    """While a statement runs on `conn`, call `running(fraction done)` every half second
    from a helper thread (DuckDB's `query_progress`)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, running: Callable[[float], None]):
        import threading

        self.conn, self.running = conn, running
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self.stop.wait(0.5):
            try:
                done = self.conn.query_progress()
            except duckdb.Error:
                return
            if done >= 0:
                self.running(done / 100)

    def __enter__(self) -> watch:
        self.conn.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def _lines_by_csv_module(conn, line_of_table: str, source: Source, records: int) -> int:
    """The line each record starts on, and the empty lines, from Python's csv module:
    the temp table `line_of_<table>(record, line)`, record NULL for an empty line."""
    starts, blanks = array("q"), array("q")
    with source.path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader)
        line = reader.line_num + 1
        for row in reader:
            (starts if row else blanks).append(line)
            line = reader.line_num + 1
    if starts:
        _check_closed_quotes(source.path, starts[-1], line - 1)
    if len(starts) != records:
        raise PackageError(
            f"{source.path}: not a readable CSV file (DuckDB read {records:,} records, "
            f"Python's csv module {len(starts):,}); check its quoting"
        )
    import numpy as np
    import pyarrow as pa

    line_of = pa.table(
        {
            "record": pa.concat_arrays(
                [pa.array(np.arange(len(starts), dtype=np.int64)), pa.nulls(len(blanks), pa.int64())]
            ),
            "line": pa.array(np.concatenate([np.frombuffer(starts, np.int64), np.frombuffer(blanks, np.int64)])),
        }
    )
    conn.register("line_of_arrow", line_of)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {line_of_table} AS SELECT * FROM line_of_arrow")
    conn.unregister("line_of_arrow")
    return len(starts) + len(blanks)


def _check_closed_quotes(path: Path, start: int, last: int) -> None:
    """A quote never closed swallows every following line into one field, to the end of
    the file (both readers accept that): say so, naming the line where it opens, when the
    last record spans several lines and holds an odd number of double quotes."""
    if last <= start:
        return
    quotes = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, text in enumerate(handle, start=1):
            if number >= start:
                quotes += text.count('"')
    if quotes % 2:
        raise PackageError(
            f"{path}, line {start}: a quoted field opened on this line is never closed "
            f"(it would run to the end of the file, line {last}); close the quote"
        )


def _explain_csv_error(path: Path, err: Exception) -> str:
    """Turn a reader error into a message naming the line; only runs for a broken file."""
    utf8 = _utf8_error(path)
    if utf8:
        return utf8
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        start = reader.line_num + 1
        try:
            for row in reader:
                if len(row) > len(header):
                    return f"{path}, line {start}: the row has {len(row)} fields but the header has {len(header)}"
                start = reader.line_num + 1
        except csv.Error as bad:
            return f"{path}, line {start}: not a readable CSV row ({bad})"
    line = re.search(r"CSV Error on Line: (\d+)", str(err))
    where = f", line {line.group(1)}" if line else ""
    return f"{path}{where}: not a readable CSV file ({_first_line(err)})"


def _utf8_error(path: Path) -> str | None:
    """The first byte that is not UTF-8, with its line, or None. Reads block by block,
    cut after a newline byte (never part of a multi-byte character)."""
    lines, tail = 0, b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            chunk = tail + block
            cut = chunk.rfind(b"\n") + 1
            chunk, tail = (chunk[:cut], chunk[cut:]) if cut else (b"", chunk)
            if message := _check_utf8(path, chunk, lines):
                return message
            lines += chunk.count(b"\n")
    return _check_utf8(path, tail, lines)


def _check_utf8(path: Path, chunk: bytes, lines_before: int) -> str | None:
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError as bad:
        line = lines_before + chunk.count(b"\n", 0, bad.start) + 1
        return f"{path}, line {line}: not valid UTF-8 (byte 0x{chunk[bad.start]:02x}); save the file as UTF-8"
    return None


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # DuckDB's CSV errors start "CSV Error on Line: N" and say what is wrong on the next line
    if len(lines) > 1 and lines[0].startswith(("Invalid Input Error: CSV Error", "CSV Error")):
        return lines[1]
    return lines[0] if lines else err.__class__.__name__


def _shown(name: str) -> str:
    """A header name for a one-line message: a name with a line break or another control
    character shows it escaped (\\n)."""
    return name if name.isprintable() else name.encode("unicode_escape").decode("ascii")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
