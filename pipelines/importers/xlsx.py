"""Rows of the first worksheet of an .xlsx file, streamed with iterparse.

An .xlsx file is a zip of XML parts; only the shared strings, the workbook's sheet list
and one sheet are read. Cells come back as text exactly as stored: numbers (and dates,
which Excel stores as serial day numbers) are the stored decimal text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath

_COLUMN = re.compile(r"([A-Z]+)")
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(ref: str) -> int:
    index = 0
    for letter in _COLUMN.match(ref).group(1):
        index = index * 26 + ord(letter) - 64
    return index - 1


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    strings = []
    with book.open("xl/sharedStrings.xml") as f:
        for _, el in ET.iterparse(f):
            if _local(el.tag) == "si":
                # plain <t>, or rich-text runs <r><t>; phonetic hints (<rPh>) are not text
                runs = [el] + [r for r in el if _local(r.tag) == "r"]
                strings.append("".join(t.text or "" for run in runs for t in run if _local(t.tag) == "t"))
                el.clear()
    return strings


def _first_sheet(book: zipfile.ZipFile) -> tuple[str, str]:
    workbook = ET.fromstring(book.read("xl/workbook.xml"))
    sheet = next(el for el in workbook.iter() if _local(el.tag) == "sheet")
    rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels if r.get("Id") == sheet.get(_REL))
    path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return sheet.get("name"), path


def read_rows(path) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """(sheet name, iterator of (row number, cell texts)); empty cells are ""."""
    book = zipfile.ZipFile(path)
    name, sheet_path = _first_sheet(book)
    strings = _shared_strings(book)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with book, book.open(sheet_path) as f:
            for _, el in ET.iterparse(f):
                if _local(el.tag) != "row":
                    continue
                cells: dict[int, str] = {}
                for c in el:
                    if _local(c.tag) != "c":
                        continue
                    kind = c.get("t", "n")
                    if kind == "inlineStr":
                        text = "".join(t.text or "" for t in c.iter() if _local(t.tag) == "t")
                    else:
                        v = next((x for x in c if _local(x.tag) == "v"), None)
                        text = v.text or "" if v is not None else ""
                        if kind == "s" and text:
                            text = strings[int(text)]
                    cells[_column_index(c.get("r"))] = text
                width = max(cells) + 1 if cells else 0
                yield int(el.get("r")), [cells.get(i, "") for i in range(width)]
                el.clear()

    return name, rows()
