"""Rows of the first worksheet of an .xlsx file, streamed with iterparse.

An .xlsx file is a zip of XML parts; only the shared strings, the workbook's sheet list
and one sheet are read. Cells come back as text exactly as stored: numbers (and dates,
which Excel stores as serial day numbers) are the stored decimal text.

Bounded in time and memory whatever the file (limits.py, docs/importers.md "Limits"):
every part is read through a `BoundedReader` (expanded size, longest text node); cell
references must lie in A1:XFD1048576 (a cell or row without one takes the next
position, as Excel does); a shared-string index must exist; rows after the first (the
header) are cut to the header's width, so a stray cell at XFD costs nothing. Anything else
raises `InputLimit`/`ImportFailure` with one line naming the cell.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath

from pipelines.importers.limits import (
    MAX_XLSX_SHEET_BYTES,
    MAX_XLSX_SMALL_PART_BYTES,
    MAX_XLSX_STRINGS_BYTES,
    BoundedReader,
    InputLimit,
)
from pipelines.importers.package import ImportFailure

_REFERENCE = re.compile(r"([A-Z]{1,3})([1-9]\d{0,6})")
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAX_COLUMN = 16_384  # XFD
MAX_ROW = 1_048_576


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _cell_position(ref: str | None, previous: int, where: str) -> int:
    """Zero-based column of a cell reference ("B7" → 1); no reference: the next column."""
    if ref is None:
        return previous + 1
    match = _REFERENCE.fullmatch(ref)
    index = 0
    if match:
        for letter in match.group(1):
            index = index * 26 + ord(letter) - 64
    if not match or index > MAX_COLUMN or int(match.group(2)) > MAX_ROW:
        raise InputLimit(f"{where}: cell reference {ref[:20]!r} is not within A1:XFD1048576")
    return index - 1


def _open(book: zipfile.ZipFile, name: str, where: str, limit: int) -> BoundedReader:
    return BoundedReader(book.open(name), f"{where} ({name})", max_bytes=limit)


def _shared_strings(book: zipfile.ZipFile, where: str) -> list[str]:
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    strings = []
    with _open(book, "xl/sharedStrings.xml", where, MAX_XLSX_STRINGS_BYTES) as f:
        parent = None
        for event, el in ET.iterparse(f, events=("start", "end")):
            if event == "start":
                if _local(el.tag) == "sst":
                    parent = el
            elif _local(el.tag) == "si":
                # plain <t>, or rich-text runs <r><t>; phonetic hints (<rPh>) are not text
                runs = [el] + [r for r in el if _local(r.tag) == "r"]
                strings.append("".join(t.text or "" for run in runs for t in run if _local(t.tag) == "t"))
                _drop(parent, el)
    return strings


def _part(book: zipfile.ZipFile, name: str, where: str) -> ET.Element:
    with _open(book, name, where, MAX_XLSX_SMALL_PART_BYTES) as f:
        return ET.parse(f).getroot()


def _first_sheet(book: zipfile.ZipFile, where: str) -> tuple[str, str]:
    workbook = _part(book, "xl/workbook.xml", where)
    sheet = next(el for el in workbook.iter() if _local(el.tag) == "sheet")
    rels = _part(book, "xl/_rels/workbook.xml.rels", where)
    target = next(r.get("Target") for r in rels if r.get("Id") == sheet.get(_REL))
    path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return sheet.get("name"), path


def read_rows(path) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """(sheet name, iterator of (row number, cell texts)); empty cells are ""."""
    where = str(path)
    book = zipfile.ZipFile(path)
    name, sheet_path = _first_sheet(book, where)
    strings = _shared_strings(book, where)

    def rows() -> Iterator[tuple[int, list[str]]]:
        width_cap = MAX_COLUMN  # the header's width, once the first row is read
        number = 0
        with book, _open(book, sheet_path, where, MAX_XLSX_SHEET_BYTES) as f:
            parent = None
            for event, el in ET.iterparse(f, events=("start", "end")):
                if event == "start":
                    if _local(el.tag) == "sheetData":
                        parent = el
                    continue
                if _local(el.tag) != "row":
                    continue
                given = el.get("r")
                if given is not None and not (given.isdigit() and 0 < len(given) <= 7 and int(given) <= MAX_ROW):
                    raise InputLimit(f"{where}: row number {given[:20]!r} is not within 1 to {MAX_ROW:,}")
                number = int(given) if given is not None else number + 1
                cells: dict[int, str] = {}
                column = -1
                for c in el:
                    if _local(c.tag) != "c":
                        continue
                    column = _cell_position(c.get("r"), column, f"{where}, row {number}")
                    if column >= width_cap:
                        continue
                    kind = c.get("t", "n")
                    if kind == "inlineStr":
                        text = "".join(t.text or "" for t in c.iter() if _local(t.tag) == "t")
                    else:
                        v = next((x for x in c if _local(x.tag) == "v"), None)
                        text = v.text or "" if v is not None else ""
                        if kind == "s" and text:
                            text = _shared(strings, text, f"{where}, row {number}, cell {c.get('r') or column + 1}")
                    cells[column] = text
                width = max(cells) + 1 if cells else 0
                yield number, [cells.get(i, "") for i in range(width)]
                if width_cap == MAX_COLUMN:
                    width_cap = max(width, 1)
                _drop(parent, el)

    return name, rows()


def _drop(parent: ET.Element | None, el: ET.Element) -> None:
    """Forget a finished element entirely (cleared, and removed from its parent), so that
    memory does not grow with the number of rows or strings."""
    el.clear()
    if parent is not None and len(parent) and parent[0] is el:
        del parent[0]


def _shared(strings: list[str], index: str, where: str) -> str:
    if not (index.isdigit() and int(index) < len(strings)):
        raise ImportFailure(f"{where}: shared string {index[:20]!r} does not exist (the file has {len(strings):,})")
    return strings[int(index)]
