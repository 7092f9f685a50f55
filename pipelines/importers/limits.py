"""Limits that keep an import bounded in time and memory whatever its input.

Published files are read as streams, but a parser still holds one whole text node (or
attribute value) in memory, and a zip member can expand to far more than its size on
disk. `BoundedReader` wraps the byte stream a parser reads and stops it, with
`InputLimit` (one line: which file, what, where), as soon as

- more than `max_bytes` have been read (the expanded size of an XLSX part), or
- a run of bytes without a `<` (one text node, attribute value or tag) is longer than
  `max_text` bytes: before the parser has gathered it into one string.

The limits are documented in docs/importers.md ("Limits").
"""

from __future__ import annotations

from pipelines.importers.package import ImportFailure

MAX_TEXT_BYTES = 8 << 20
"""Longest text node, attribute value or tag in an XML file (IATI, XLSX parts): 8 MiB."""
MAX_XLSX_SHEET_BYTES = 256 << 20
"""Expanded size of the worksheet read from an .xlsx file: 256 MiB (published 360Giving
workbooks expand to a few MB)."""
MAX_XLSX_STRINGS_BYTES = 64 << 20
"""Expanded size of an .xlsx file's shared strings (held in memory while the sheet is read)."""
MAX_XLSX_SMALL_PART_BYTES = 4 << 20
"""Expanded size of the workbook list and its relationships."""
MAX_JSON_DEPTH = 32
"""Nesting of objects and arrays in a 360Giving JSON file (a grant needs 4)."""
MAX_JSON_TEXT_CHARS = 1 << 20
"""Longest string value in a 360Giving JSON file (1 Mi characters)."""
MAX_TABLE_COLUMNS = 16_384
"""Header width of a 360Giving CSV or XLSX sheet (Excel's own limit, XFD)."""
MAX_LIST_INDEX = 1_000
"""Largest list index a 360Giving column title may name ("Beneficiary Location:999:Name")."""


class InputLimit(ImportFailure):
    """A file beyond one of the limits: the import stops with this one line."""


class BoundedReader:
    """A binary stream that enforces `max_bytes` and `max_text` on what is read through it."""

    def __init__(self, raw, name: str, max_bytes: int | None = None, max_text: int = MAX_TEXT_BYTES):
        self.raw, self.name = raw, name
        self.max_bytes, self.max_text = max_bytes, max_text
        self.read_bytes = 0
        self._run = 0  # bytes since the last "<"

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 16
        block = self.raw.read(size)
        if not block:
            return block
        self.read_bytes += len(block)
        if self.max_bytes is not None and self.read_bytes > self.max_bytes:
            raise InputLimit(
                f"{self.name}: expands to more than {self.max_bytes:,} bytes; refused "
                "(a file this large is not a published grants or activities file)"
            )
        last = block.rfind(b"<")
        if last < 0:
            self._run += len(block)
        else:
            first = block.find(b"<")
            inner = max(map(len, block[first:last].split(b"<"))) if last > first else 0
            longest = max(self._run + first, inner)
            self._run = len(block) - last - 1
            if longest > self.max_text:
                self._too_long()
        if self._run > self.max_text:
            self._too_long()
        return block

    def _too_long(self) -> None:
        raise InputLimit(
            f"{self.name}: a text node, attribute or tag ending after byte {self.read_bytes:,} is "
            f"longer than {self.max_text:,} bytes; refused"
        )

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> BoundedReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
