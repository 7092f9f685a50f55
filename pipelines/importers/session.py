"""What one import run shares across its source files: the package being written, the
region mapping, the exchange rates, the partners seen and the running summary."""

from __future__ import annotations

from pathlib import Path

from pipelines.importers.fx import RateBook
from pipelines.importers.geography import RegionMap
from pipelines.importers.organisations import home_country
from pipelines.importers.package import ImportFailure, ImportSummary, PackageWriter, PartWriter
from pipelines.ingest.iso4217 import currency_codes


class ImportSession:
    def __init__(self, out_dir: str | Path, regions_dir: str | Path | None = None):
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise ImportFailure(f"{out_dir}: --out must be a folder")
        self.regions = RegionMap.load(Path(regions_dir) if regions_dir else None, package=out_dir)
        self.rates = RateBook.for_package(out_dir)
        self.writer = PackageWriter(out_dir)
        self.currencies = currency_codes()
        self.partners: dict[str, dict[str, str]] = {}
        self.seen_ids: set[str] = set()  # activity or grant ids imported in this run
        self.summary = ImportSummary()

    def for_part(self, part_dir: str | Path, memory_bytes: int = 0) -> ImportSession:
        """A session for one file in a parallel worker: this session's regions, rates and
        currencies (read once per worker), nothing imported yet, rows held in memory up to
        `memory_bytes`, then in files in `part_dir` (created then)."""
        part = ImportSession.__new__(ImportSession)
        part.regions, part.rates, part.currencies = self.regions, self.rates.fresh(), self.currencies
        part.writer = PartWriter(Path(part_dir), header=False, memory_bytes=memory_bytes)
        part.partners, part.seen_ids, part.summary = {}, set(), ImportSummary()
        return part

    def start_file(self, path: Path) -> str:
        """The file's name in the package (absolute, so a re-import matches its rows)."""
        name = str(path.resolve())
        self.summary.files.append(name)
        self.writer.imported_files.add(name)
        return name

    def partner(self, pid: str, name: str, ptype: str, ref: str | None) -> None:
        """Register a partner; the first name and type seen for an id are kept."""
        known = self.partners.get(pid)
        if known is None:
            self.partners[pid] = {
                "partner_id": pid,
                "name": name or pid,
                "partner_type": ptype,
                "country_code": home_country(ref, set(self.regions.countries)),
                "since": "",
            }
        elif known["name"] == pid and name:
            known["name"] = name

    def merge_partners(self, partners: dict[str, dict[str, str]]) -> None:
        """Partners registered by a later file's own session: the same result as if that
        file had registered them here (first name and type win; a name that is only the
        id gives way to the first real name)."""
        for pid, entry in partners.items():
            known = self.partners.get(pid)
            if known is None:
                self.partners[pid] = entry
            elif known["name"] == pid and entry["name"] != pid:
                known["name"] = entry["name"]

    def used(self, pid: str | None, region: str) -> None:
        if pid:
            self.summary.partners.add(pid)
        self.summary.regions.add(region)

    def finish(self) -> ImportSummary:
        w = self.writer
        for code, name in sorted(self.regions.regions.items()):
            w.add("regions", {"region_code": code, "region_name": name})
        for code, (name, region) in sorted(self.regions.countries.items()):
            w.add("countries", {"country_code": code, "country_name": name, "region_code": region})
        for pid in sorted(self.partners):
            w.add("partners", self.partners[pid])
        for row in self.rates.fallback_rows():
            w.add("fx_rates", row)
        self.summary.reconciliation = w.reconciliation.totals()
        self.summary.rows = w.finish()
        self.summary.rejects = w.counts["rejects"]
        self.summary.notes = w.counts["import_notes"]
        return self.summary
