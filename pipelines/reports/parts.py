"""Region reports rendered one per run (the `reports/region_report` partitions), kept
apart until a run publishes them as one set.

A partition run may run on another machine, at another moment, than its neighbours, so
it never writes into a published `<period>/` folder: a reader would then see one new
region beside five old ones, perhaps of another package. It writes its PDF as a *part*,

    REPORTS_DIR/.region-parts/<key>/<period>/<region_code>.pdf  (+ .json: pages, glyphs)

where `<key>` names everything the PDF depends on: the package fingerprint, plus a
digest of the reporting currency, the organisation on the cover, the metric settings
and the report code and templates. Parts with the same key and period were rendered from
the same data by the same code, so any complete set of them is a whole set. The
`reports/region_reports` step publishes such a set (pipelines/reports/assets.py); parts
under another key are never mixed in.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from functools import lru_cache
from pathlib import Path

from pipelines.reports.data import ReportData
from pipelines.reports.paths import region_report_path, write_atomically
from pipelines.reports.render import RenderedReport
from pipelines.settings import PROJECT_ROOT, TEMPLATES_DIR

PARTS_FOLDER = ".region-parts"
FINGERPRINT = re.compile(r"[0-9a-f]{1,64}")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over the report code and templates: a new image's parts never join an old one's."""
    digest = hashlib.sha256()
    sources = sorted([*Path(__file__).parent.glob("*.py"), *(p for p in TEMPLATES_DIR.rglob("*") if p.is_file())])
    for path in sources:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def part_key(data: ReportData, organisation: str) -> str:
    """`<fingerprint>-<digest>`: what a region's PDF depends on besides the region and period."""
    if not FINGERPRINT.fullmatch(data.fingerprint):
        raise ValueError(f"package fingerprint {data.fingerprint!r} is not a hexadecimal digest")
    rest = json.dumps([data.currency, organisation, data.metric_settings, code_digest()], sort_keys=True, default=str)
    return f"{data.fingerprint}-{hashlib.sha256(rest.encode()).hexdigest()[:12]}"


def part_path(reports_dir: Path, data: ReportData, organisation: str, region_code: str) -> Path:
    """Where the part of `region_code` goes (the code and period checked like a report's)."""
    root = Path(reports_dir) / PARTS_FOLDER / part_key(data, organisation)
    return region_report_path(root, data.period, region_code)


def write_part(path: Path, rendered: RenderedReport) -> None:
    """The facts first, then the PDF: a part whose PDF exists is complete."""
    facts = {"pages": rendered.pages, "seconds": rendered.seconds, "missing_glyphs": rendered.missing_glyphs}
    write_atomically(path.with_suffix(".json"), json.dumps(facts).encode())
    write_atomically(path, rendered.pdf)


def read_part(path: Path) -> RenderedReport:
    facts = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return RenderedReport(
        pdf=path.read_bytes(), pages=facts["pages"], seconds=facts["seconds"], missing_glyphs=facts["missing_glyphs"]
    )


def complete_set(reports_dir: Path, data: ReportData, organisation: str) -> dict[str, Path] | None:
    """Every region's part for this data, by region code; None when any is missing."""
    parts = {row["region_code"]: part_path(reports_dir, data, organisation, row["region_code"]) for row in data.regions}
    return parts if parts and all(p.is_file() for p in parts.values()) else None


def drop_other_keys(reports_dir: Path, data: ReportData, organisation: str) -> None:
    """Parts of other data or code than this set's: never publishable with it. (A fan-out
    still running for newer data loses its parts; its set is then rendered whole.)"""
    root = Path(reports_dir) / PARTS_FOLDER
    if root.is_dir():
        keep = part_key(data, organisation)
        for folder in root.iterdir():
            if folder.name != keep:
                shutil.rmtree(folder, ignore_errors=True)
