"""Importing a folder of IATI files on every core, with the same output as one file after
another.

The sequential import reads every file twice: the survey of all files (iati_survey.py: who
reports receiving what, parents covered by their components, which ids came before), then
the mapping, which asks that survey. Here, in a pool of worker processes (one per core):

1. First pass, file by file. A file up to `READ_ONCE_BYTES` is read once: the worker keeps
   its activities, surveys them, and maps them at once as far as the file alone can tell
   (its own survey; no id seen in an earlier file), recording every question the mapping
   asked the survey and the answer (`RecordingSurvey`); the part goes to one file on disk.
   A larger file is only surveyed (memory stays bounded whatever the file size).
2. The parent combines the files' surveys in file order into the one survey of the
   sequential import and works out which ids each file repeats from an earlier file.
   A file read once whose every recorded answer is the same under the whole survey, and
   that repeats no earlier id, already has the part the sequential import writes (the
   mapping depends on nothing else). Every other file is mapped (again) with the whole
   survey, a few files ahead of the merge.
3. The parent appends the parts and merges counts, reconciliation sums, partners,
   exchange-rate years and summary figures in file order, so every CSV is byte-for-byte
   the sequential import's (tests/importers/test_parallel_import.py).

Memory stays flat: a worker holds one file up to `READ_ONCE_BYTES`, or one activity of a
larger one; the parent holds the survey and the sets of ids and partners, as the
sequential import does, and first-pass parts wait on disk. Workers come from a forkserver
(spawn where there is none), are shut down when the import ends or fails, and exit the
moment the process that started them dies, even by `kill -9`.
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pipelines.collector import collector_paused
from pipelines.importers.iati_survey import Survey, SurveyParts, survey_activity, survey_file
from pipelines.importers.iati_xml import iter_activities
from pipelines.importers.session import ImportSession
from pipelines.worker_processes import exit_with_parent, pool_context

PRELOAD = ["__main__", "pipelines.importers.iati"]
PART_MEMORY = 16_000_000  # a file's rows held in memory up to this size, then in files
READ_ONCE_BYTES = 8_000_000  # files up to this size are read once (held while mapped)
HELD_BYTES = 16_000_000  # first-pass parts (and their questions) the parent holds; more wait on disk
QUESTION_BYTES = 150  # about what one recorded question and its answer take in memory
MIN_BYTES = 16_000_000  # below this, starting the workers (about 0.5 s) costs more than it saves


def workers_for(files: list[Path], workers: int | None) -> int:
    """How many worker processes an import of `files` uses (1: none, in this process)."""
    if workers is None:
        env = os.environ.get("IMPORT_WORKERS", "").strip()
        workers = int(env) if env.isdigit() else 0
    if workers == 0:
        if len(files) < 2 or sum(p.stat().st_size for p in files) < MIN_BYTES:
            return 1
        workers = os.cpu_count() or 1
    return max(1, min(workers, len(files)))


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes that end with the block (queued work is cancelled on an error)."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(PRELOAD), initializer=exit_with_parent)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class FileResult:
    """What the parent session takes over from a worker that mapped one file."""

    name: str
    texts: dict[str, str] | None  # the part's tables when it stayed in memory
    part_dir: Path  # else its files
    activities: int
    normalised: int
    errors: list[str]
    used_partners: set[str]
    regions: set[str]
    partners: dict[str, dict[str, str]]
    years_needed: dict[str, set[int]]
    counts: dict[str, int]
    sums: dict[tuple[str, str, str], dict[str, Decimal]]
    pickled: Path | None = None  # the texts wait in this file (the parent held enough)


class RecordingSurvey:
    """Answers the mapping's questions from one file's own survey and records each
    question with its answer, to check them against the whole survey later."""

    def __init__(self, survey: Survey) -> None:
        self.survey = survey
        self.covered_asked: dict[str, bool] = {}
        self.receives_asked: list[tuple[tuple, str | None]] = []
        self.covered_parents = self  # the mapping asks `ident in survey.covered_parents`

    def __contains__(self, ident: str) -> bool:
        answer = self.covered_asked[ident] = ident in self.survey.covered_parents
        return answer

    def receives(self, *question) -> str | None:
        answer = self.survey.receives(*question)
        self.receives_asked.append((question, answer))
        return answer

    def same_answers(self, survey: Survey) -> bool:
        """Whether `survey` answers every recorded question as it was answered."""
        return all((ident in survey.covered_parents) == answer for ident, answer in self.covered_asked.items()) and all(
            survey.receives(*question) == answer for question, answer in self.receives_asked
        )


@dataclass
class FirstPass:
    parts: SurveyParts
    result: FileResult | None = None  # the file mapped on its own (read once), its part on disk
    recorded: RecordingSurvey | None = None


# --- in the workers ----------------------------------------------------------------------

_BASE: dict[tuple[str, str], ImportSession] = {}  # per worker: regions and rates, read once
_SURVEY: dict[str, Survey] = {}


def _first_task(path: Path, out_dir: Path, regions_dir: str | None, part_dir: Path, read_once_bytes: int) -> FirstPass:
    """A large file: its survey. A small one: read once, surveyed and mapped on its own."""
    if path.stat().st_size > read_once_bytes:
        return FirstPass(survey_file(path))
    with collector_paused(collect_young=False):  # the file's trees are held: see pipelines/collector.py
        return _read_once(path, out_dir, regions_dir, part_dir)


def _read_once(path: Path, out_dir: Path, regions_dir: str | None, part_dir: Path) -> FirstPass:
    from pipelines.importers.iati import IatiFile

    activities, error = [], None
    with path.open("rb") as f:
        try:
            activities.extend(iter_activities(f, keep=True))
        except ET.ParseError as err:
            error = err
    parts = SurveyParts()
    for number, el in enumerate(activities, start=1):
        survey_activity(el, number, path.stem, parts)

    def read() -> Iterator[ET.Element]:
        yield from activities
        if error is not None:
            raise error

    recorded = RecordingSurvey(parts.survey())
    session = _part_session(out_dir, regions_dir, part_dir)
    try:
        IatiFile(path, session, None, recorded, activities=read()).run()
    finally:
        session.writer.close()
    result = _result(session, part_dir)
    recorded.survey = None  # the file's own survey is not needed any more
    return FirstPass(parts, result, recorded)


def _part_session(out_dir: Path, regions_dir: str | None, part_dir: Path) -> ImportSession:
    key = (str(out_dir), str(regions_dir))
    if key not in _BASE:
        _BASE[key] = _base_session(out_dir, regions_dir)
    return _BASE[key].for_part(part_dir, memory_bytes=PART_MEMORY)


def _map_task(
    path: Path, out_dir: Path, regions_dir: str | None, part_dir: Path, survey_path: Path, seen_before: set[str]
) -> FileResult:
    from pipelines.importers.iati import IatiFile

    if str(survey_path) not in _SURVEY:
        _SURVEY.clear()
        with open(survey_path, "rb") as f:
            _SURVEY[str(survey_path)] = pickle.load(f)
    session = _part_session(out_dir, regions_dir, part_dir)
    session.seen_ids = set(seen_before)
    try:
        IatiFile(path, session, None, _SURVEY[str(survey_path)]).run()
    finally:
        session.writer.close()
    return _result(session, part_dir)


def _result(session: ImportSession, part_dir: Path) -> FileResult:
    summary = session.summary
    return FileResult(
        name=summary.files[0],
        texts=session.writer.texts(),
        part_dir=part_dir,
        activities=summary.activities,
        normalised=summary.normalised,
        errors=summary.errors,
        used_partners=summary.partners,
        regions=summary.regions,
        partners=session.partners,
        years_needed=dict(session.rates.years_needed),
        counts=session.writer.counts,
        sums=session.writer.reconciliation.sums(),
    )


def _base_session(out_dir: Path, regions_dir: str | None) -> ImportSession:
    """Regions, rates and currencies as the parent read them (the package in out_dir is
    not touched until the import finishes), without a writer."""
    from pipelines.importers.fx import RateBook
    from pipelines.importers.geography import RegionMap
    from pipelines.ingest.iso4217 import currency_codes

    base = ImportSession.__new__(ImportSession)
    base.regions = RegionMap.load(Path(regions_dir) if regions_dir else None, package=Path(out_dir))
    base.rates = RateBook.for_package(Path(out_dir))
    base.currencies = currency_codes()
    return base


# --- in the parent -----------------------------------------------------------------------


def import_in_parallel(
    files: list[Path],
    session: ImportSession,
    regions_dir: str | Path | None,
    workers: int,
    progress: Callable[[str, int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
    read_once_bytes: int = READ_ONCE_BYTES,
) -> None:
    """Survey and map `files` in `workers` processes into `session`, as if one by one."""
    work = session.writer.tmp / "parts"
    work.mkdir()
    sizes = [p.stat().st_size for p in files]
    total_mb = sum(sizes) / 1e6
    started = last = time.monotonic()
    out_dir = session.writer.out_dir
    regions = str(regions_dir) if regions_dir else None
    with worker_pool(workers) as pool:
        parts, seen, repeated, firsts, held = SurveyParts(), set(), [], [], 0
        first = [
            pool.submit(_first_task, path, out_dir, regions, work / f"part-{i}", read_once_bytes)
            for i, path in enumerate(files)
        ]
        for i, future in enumerate(first):
            done = future.result()
            first[i] = None
            repeated.append({ident for ident in done.parts.mapped_ids if ident in seen})
            seen.update(done.parts.mapped_ids)
            done.parts.mapped_ids = []
            parts.merge(done.parts)
            recorded = done.recorded
            if done.result is not None:
                size = sum(len(text) for text in (done.result.texts or {}).values()) + QUESTION_BYTES * (
                    len(recorded.covered_asked) + len(recorded.receives_asked)
                )
                if held + size > HELD_BYTES:  # part and questions wait on disk for the whole survey
                    recorded = _spool(done.result, recorded, work / f"part-{i}.pickle")
                else:
                    held += size
            firsts.append((done.result, recorded))
        del seen
        survey = parts.survey()
        del parts
        ready = [
            result is not None and not repeated[i] and _recorded(recorded).same_answers(survey)
            for i, (result, recorded) in enumerate(firsts)
        ]
        survey_path = work / "survey.pickle"
        with open(survey_path, "wb") as f:
            pickle.dump(survey, f, protocol=pickle.HIGHEST_PROTOCOL)
        del survey
        if log:
            log(
                f"import: read {len(files)} files, {total_mb:,.1f} MB in {time.monotonic() - started:.1f} s; "
                f"{ready.count(True)} mapped in the same pass, {ready.count(False)} to map with the whole survey"
            )
        # at most a few files ahead of the merge: finished parts wait here in memory
        window, pending = 2 * workers, {}
        upcoming = (j for j in range(len(files)) if not ready[j])
        done_mb = 0.0
        for i, path in enumerate(files):
            while len(pending) < window and (j := next(upcoming, None)) is not None:
                if firsts[j][0] is not None:
                    shutil.rmtree(firsts[j][0].part_dir, ignore_errors=True)
                pending[j] = pool.submit(
                    _map_task, files[j], out_dir, regions, work / f"part-{j}-again", survey_path, repeated[j]
                )
            result = pending.pop(i).result() if i in pending else firsts[i][0]
            firsts[i], repeated[i] = None, None
            _merge(session, path, result)
            done_mb += sizes[i] / 1e6
            if progress:
                progress(result.name, sizes[i], sizes[i])
            now = time.monotonic()
            if log and (now - last >= 5 or i == len(files) - 1):
                last = now
                log(
                    f"import: {i + 1}/{len(files)} files, {done_mb:,.1f} of {total_mb:,.1f} MB in "
                    f"{now - started:.1f} s ({done_mb / max(now - started, 1e-9):.1f} MB/s)"
                )


def _spool(result: FileResult, recorded: RecordingSurvey, path: Path) -> Path:
    """Write a first-pass part's questions, then its texts, to `path`; the path stands in
    for both (`_recorded`, `_merge`)."""
    with open(path, "wb") as f:
        pickle.dump(recorded, f, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(result.texts, f, protocol=pickle.HIGHEST_PROTOCOL)
    result.texts, result.pickled = None, path
    return path


def _recorded(recorded: RecordingSurvey | Path) -> RecordingSurvey:
    if isinstance(recorded, Path):
        with open(recorded, "rb") as f:
            return pickle.load(f)
    return recorded


def _merge(session: ImportSession, path: Path, result: FileResult) -> None:

    name = session.start_file(path)
    assert name == result.name, (name, result.name)
    summary = session.summary
    summary.activities += result.activities
    summary.normalised += result.normalised
    summary.errors.extend(result.errors)
    summary.partners |= result.used_partners
    summary.regions |= result.regions
    session.merge_partners(result.partners)
    session.rates.merge_needed(result.years_needed)
    texts = result.texts
    if result.pickled:
        with open(result.pickled, "rb") as f:
            pickle.load(f)  # the questions, answered by now
            texts = pickle.load(f)
        os.remove(result.pickled)
    session.writer.append_part(texts, result.part_dir, result.counts, result.sums)
    if texts is None:
        shutil.rmtree(result.part_dir, ignore_errors=True)
