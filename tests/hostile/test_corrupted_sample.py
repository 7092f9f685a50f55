"""Property: corrupt random cells and lines of the bundled sample, and the load either
loads with rows in = loaded + rejected for every table (rows in counted independently,
so that no row can be dropped silently), or stops with one line (PackageError; the CLI
turns it into exit status 2) — never a traceback."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from package_fixture import SAMPLE_DIR

from pipelines.ingest.contract import TABLE_NAMES
from pipelines.ingest.load import load_package
from pipelines.ingest.read import PackageError

HOSTILE = [
    "",
    " ",
    "9999-12-31",
    "0001-01-01",
    "2025-02-30",
    "1e30",
    "NaN",
    "-0",
    "9999999999999999.99",
    "12345678901234567890123456789",
    "0x10",
    "1,000.00",
    "\u202eexe.pdf",
    "a\x00b",
    "\x07",
    "\x9b",
    '=HYPERLINK("http://x","y")',
    "@SUM(A1)",
    "-",
    "+",
    '"',
    '""',
    "a,b",
    "line\nbreak",
    "\r",
    "\t",
    "é",
    "مؤسسة",
    "基金会",
    "\U0001f984",
    "W" * 5000,
    "EUR",
    "usd",
    "XYZ",
    "0",
    "-1",
    "999999999999",
]
cells = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))


def records(path: Path) -> int:
    """Rows of a CSV file as Python's csv module sees them, empty lines included."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


@st.composite
def corruption(draw):
    table = draw(st.sampled_from(TABLE_NAMES))
    kind = draw(st.sampled_from(["cell", "cell", "cell", "delete_line", "duplicate_line", "raw_line", "header_cell"]))
    return table, kind, draw(st.integers(0, 10_000)), draw(st.integers(0, 50)), draw(cells)


def apply(folder: Path, change) -> None:
    table, kind, row_pick, column_pick, value = change
    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    i = row_pick % len(body)
    if kind == "cell":
        # a line an earlier raw_line change left short (or empty) gets its missing cells
        body[i] += [""] * (len(header) - len(body[i]))
        body[i][column_pick % len(header)] = value
    elif kind == "header_cell":
        header[column_pick % len(header)] = value
    elif kind == "delete_line":
        del body[i]
    elif kind == "duplicate_line":
        body.insert(i, list(body[i]))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *body])
    text = buffer.getvalue()
    if kind == "raw_line":  # a line as typed, quotes and separators unbalanced or not
        lines = text.split("\n")
        lines.insert(1 + i, value)
        text = "\n".join(lines)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(corruption(), min_size=1, max_size=4))
def test_a_corrupted_sample_loads_every_row_or_stops_with_one_line(tmp_path_factory, changes):
    folder = tmp_path_factory.mktemp("corrupted") / "package"
    shutil.copytree(SAMPLE_DIR, folder)
    for change in changes:
        apply(folder, change)
    conn = duckdb.connect()
    try:
        report = load_package(folder, conn)
    except PackageError as err:
        message = str(err)
        assert message and "\n" not in message.strip() and "Traceback" not in message
        return
    for table in report.tables:
        assert table.rows_read == table.rows_loaded + table.rows_rejected, table
        assert table.rows_read == records(folder / table.file), table  # nothing dropped silently
    loaded = dict(conn.execute("SELECT source, count(*) FROM audit.rejects GROUP BY source").fetchall())
    for table in report.tables:
        ((staged,),) = conn.execute(f"SELECT count(*) FROM staging.{table.source}").fetchall()
        assert staged + loaded.get(table.source, 0) == table.rows_read
