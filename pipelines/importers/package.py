"""Write a partner data package (CSV, one file per contract table) plus pass_through.csv,
rejects.csv, import_notes.csv and import_summary.csv, merging by key with a package
already in the folder.

Rows stream to temporary files while a source is read, so a large import holds only the
small reference tables (regions, countries, partners) in memory. On `finish`:
- money and event tables (agreements, transactions, expenditures, activities,
  interactions, outcomes, pass_through): rows that came from a file imported again are dropped, and a
  newly imported row replaces an existing row with the same key, so importing a
  corrected or the same file again (even under another region mapping) is idempotent;
- reference tables (regions, countries, partners, fx_rates): an existing row wins, so an
  office's own names, regions and rates are never overwritten by an import;
- rejects.csv, import_notes.csv and import_summary.csv: rows about the files just imported replace earlier
  rows about the same files; rows about other files are kept.

Every cell of every file written here passes through `pipelines.csv_safety.neutralise_cells`: a
text starting with `=`, `+`, `-`, `@`, tab or carriage return (a spreadsheet formula) gets
a leading apostrophe; plain numbers stay as they are. The package tables get the same
treatment as the logs (ids and names alike, so references still match), and the loader
keeps the apostrophe: a partner published as `=HYPERLINK(…)` is `'=HYPERLINK(…)` in the
warehouse and the reports too (docs/importers.md, "Formula injection").
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pipelines.csv_safety import neutralise_cells, neutralise_row
from pipelines.importers.reconciliation import COLUMNS as SUMMARY_COLUMNS
from pipelines.importers.reconciliation import TABLE_OUTCOMES, Reconciliation
from pipelines.schema import INPUTS

# Contract columns in contract order (pipelines/schema/inputs.yml, without the columns the
# load adds); importer-specific extras at the end (the loader keeps unknown columns but ignores them).
_EXTRAS: dict[str, list[str]] = {
    "agreements": ["finance_type", "source_file", "source_id"],
    "transactions": ["source_type", "finance_type", "source_file"],
    "expenditures": ["source_type", "source_file"],
    "outcomes": ["source_file"],
    "fx_rates": ["source"],
}
COLUMNS: dict[str, list[str]] = {
    table.name: [c.name for c in table.columns if not c.converts] + _EXTRAS.get(table.name, []) for table in INPUTS
} | {
    # not a contract table (the loader never reads it): money a receiver passed on, kept
    # for analysts but not counted as support, since it was counted where it came in
    "pass_through": [
        "pass_through_id",
        "activity_id",
        "region_code",
        "flow_date",
        "amount",
        "currency",
        "source_type",
        "provider",
        "receiver",
        "reason",
        "source_file",
    ],
}
KEYS: dict[str, tuple[str, ...]] = {table.name: table.key for table in INPUTS} | {"pass_through": ("pass_through_id",)}
EXISTING_WINS = {"regions", "countries", "partners", "fx_rates"}
REJECT_COLUMNS = ["file", "path", "reason", "record", "source_type", "currency", "amount"]
NOTE_COLUMNS = ["file", "path", "note"]
LOG_FILES = {"rejects": REJECT_COLUMNS, "import_notes": NOTE_COLUMNS, "import_summary": SUMMARY_COLUMNS}


class ImportFailure(Exception):
    """An input or output the import cannot use at all; the message names the file."""


@dataclass
class ImportSummary:
    files: list[str] = field(default_factory=list)
    activities: int = 0  # IATI activities or 360Giving grants read
    partners: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)  # regions that received money
    rows: dict[str, int] = field(default_factory=dict)  # rows written per table
    rejects: int = 0
    notes: int = 0
    normalised: int = 0  # places lists whose percentages did not sum to 100
    errors: list[str] = field(default_factory=list)  # files that could not be read at all
    # (currency, type as published) -> published, support, commitment, ..., unaccounted
    reconciliation: dict[tuple[str, str], dict[str, Decimal]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        tables = ", ".join(f"{name} {count}" for name, count in sorted(self.rows.items()) if count)
        return [
            f"{len(self.files)} file(s), {self.activities} activities/grants, "
            f"{len(self.partners)} partners, regions {', '.join(sorted(self.regions)) or '-'}",
            f"rows written: {tables or 'none'}",
            f"{self.rejects} rejected (rejects.csv), {self.notes} notes incl. {self.normalised} "
            f"percentage normalisations (import_notes.csv)",
        ]


class PartWriter:
    """Rows of every table and log file streamed to CSV files in `folder` (with headers),
    or a part that a parallel worker writes for one source file, without headers, for the
    parent to append to its own files in file order: held in memory up to `memory_bytes`
    (creating a dozen files per source file costs more than mapping a small one), then
    moved to files in `folder`. Counts rows and feeds the reconciliation as rows are added."""

    CHECK_EVERY = 512  # rows between two looks at the size held in memory

    def __init__(self, folder: Path, header: bool = True, memory_bytes: int = 0):
        self.folder = Path(folder)
        self.memory_bytes = memory_bytes
        self._files = {}
        self._writers = {}
        self._columns = {**COLUMNS, **LOG_FILES}
        self._known = {name: frozenset(columns) for name, columns in self._columns.items()}
        for name, columns in self._columns.items():
            handle = (
                io.StringIO() if memory_bytes else (self.folder / f"{name}.csv").open("w", newline="", encoding="utf-8")
            )
            writer = csv.writer(handle, lineterminator="\n")
            if header:
                writer.writerow(columns)
            self._files[name], self._writers[name] = handle, writer
        self.counts = {name: 0 for name in {**COLUMNS, **LOG_FILES}}
        self._rows = 0
        self.imported_files: set[str] = set()
        self.reconciliation = Reconciliation()

    def _spill(self) -> None:
        """Too much in memory: move every table to its file in `folder` and go on there."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, buffer in self._files.items():
            handle = (self.folder / f"{name}.csv").open("w", newline="", encoding="utf-8")
            handle.write(buffer.getvalue())
            self._files[name] = handle
            self._writers[name] = csv.writer(handle, lineterminator="\n")
        self.memory_bytes = 0

    def texts(self) -> dict[str, str] | None:
        """The tables' text when the part is still in memory, else None (it is in `folder`)."""
        if not self.memory_bytes:
            return None
        return {name: buffer.getvalue() for name, buffer in self._files.items()}

    def add(self, table: str, row: dict[str, str]) -> None:
        """One row: its cells in the table's column order (a missing one empty), neutralised."""
        if not self._known[table].issuperset(row):
            raise ValueError(f"{table}: no such column(s) {sorted(set(row) - self._known[table])}")
        self._writers[table].writerow(neutralise_cells([row.get(column, "") for column in self._columns[table]]))
        self.counts[table] += 1
        if self.memory_bytes:
            self._rows += 1
            if (
                self._rows % self.CHECK_EVERY == 0
                and sum(buffer.tell() for buffer in self._files.values()) > self.memory_bytes
            ):
                self._spill()
        outcome = TABLE_OUTCOMES.get(table)
        if outcome:
            self.reconciliation.counted(
                row["source_file"], row["currency"], row["source_type"], outcome, Decimal(row["amount"])
            )

    def reject(
        self,
        file: str,
        path: str,
        reason: str,
        record: str = "",
        source_type: str = "",
        currency: str = "",
        amount: str = "",
    ) -> None:
        self.add(
            "rejects",
            {
                "file": file,
                "path": path,
                "reason": reason,
                "record": record,
                "source_type": source_type,
                "currency": currency,
                "amount": amount,
            },
        )
        if amount:
            self.reconciliation.counted(file, currency, source_type, "rejected", Decimal(amount))

    def note(self, file: str, path: str, note: str) -> None:
        self.add("import_notes", {"file": file, "path": path, "note": note})

    def close(self) -> None:
        for handle in self._files.values():
            if not isinstance(handle, io.StringIO):  # text in memory stays readable (texts())
                handle.close()


class PackageWriter(PartWriter):
    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        for table in COLUMNS:
            if (self.out_dir / f"{table}.parquet").exists():
                raise ImportFailure(
                    f"{self.out_dir / (table + '.parquet')}: this folder holds a Parquet package; "
                    "import into a CSV package or an empty folder"
                )
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.tmp = self.out_dir / ".import-tmp"
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()
        super().__init__(self.tmp)

    def append_part(
        self, texts: dict[str, str] | None, folder: Path | None, counts: dict[str, int], sums: dict
    ) -> None:
        """Append a worker's part (written without headers by a PartWriter: `texts` if it
        stayed in memory, else the files in `folder`) after the rows written so far, and
        take over its counts and reconciliation."""
        for name, handle in self._files.items():
            if texts is not None:
                handle.write(texts[name])
            else:
                with (Path(folder) / f"{name}.csv").open(encoding="utf-8", newline="") as f:
                    shutil.copyfileobj(f, handle, 1 << 20)
            self.counts[name] += counts[name]
        self.reconciliation.merge(sums)

    def abort(self) -> None:
        for handle in self._files.values():
            handle.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def finish(self) -> dict[str, int]:
        for row in self.reconciliation.rows():
            self.add("import_summary", row)
        for handle in self._files.values():
            handle.close()
        for table in COLUMNS:
            self._merge(table, KEYS[table], existing_wins=table in EXISTING_WINS)
        for name in LOG_FILES:
            self._merge_log(name)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return {table: self.counts[table] for table in COLUMNS}

    def _merge(self, table: str, key: tuple[str, ...], existing_wins: bool) -> None:
        new, final = self.tmp / f"{table}.csv", self.out_dir / f"{table}.csv"
        if not final.exists():
            shutil.move(new, final)
            return
        new_keys = _keys(new, key)
        old_keys = _keys(final, key) if existing_wins else set()
        header = _header(final)
        columns = header + [c for c in COLUMNS[table] if c not in header]
        merged = self.tmp / f"{table}.merged.csv"
        with merged.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
            for row in _read(final):
                if row.get("source_file") in self.imported_files:
                    continue  # a re-imported file replaces all its rows, even under new ids
                if existing_wins or tuple(row.get(k, "") for k in key) not in new_keys:
                    writer.writerow(row)
            for row in _read(new):
                if not existing_wins or tuple(row[k] for k in key) not in old_keys:
                    writer.writerow(row)
        os.replace(merged, final)

    def _merge_log(self, name: str) -> None:
        new, final = self.tmp / f"{name}.csv", self.out_dir / f"{name}.csv"
        if not final.exists():
            shutil.move(new, final)
            return
        merged = self.tmp / f"{name}.merged.csv"
        with merged.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=LOG_FILES[name], lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
            for row in _read(final):
                if row.get("file") not in self.imported_files:
                    writer.writerow(row)
            for row in _read(new):
                writer.writerow(row)
        os.replace(merged, final)


def _read(path: Path):
    """Rows of a package or log file, neutralised as they will be written (an office's own
    rows too, so keys compare with the imported rows, which are)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            yield neutralise_row(row)


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f), [])


def _keys(path: Path, key: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {tuple(row.get(k, "") for k in key) for row in _read(path)}
