"""Importing a folder of IATI files on every core, with the same output as one file after
another.

Both passes run file by file in a pool of worker processes (one per core):
1. the survey (`iati_survey.survey_file`): each worker returns its file's parts; the
   parent combines them in file order into the one survey the mapping needs, and works
   out which activity ids each file repeats from an earlier file (the sequential import
   rejects those as duplicates);
2. the mapping: each worker maps one file with its own session (`ImportSession.for_part`)
   into part files without headers, and hands back what the parent's session must know
   (counts, reconciliation sums, partners, exchange-rate years needed, summary figures).
   The parent appends the parts and merges the rest in file order, so every CSV is
   byte-for-byte what the sequential import writes (tests/importers/test_parallel_import.py).

Memory stays flat: a worker holds one activity of one file at a time; the parent holds the
survey and the sets of ids and partners, as the sequential import does. Workers come from
a forkserver (spawn where there is none) and are shut down when the import ends or fails;
each one also exits the moment the process that started it dies, even by `kill -9`.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from pipelines.importers.iati_survey import Survey, SurveyParts, survey_file
from pipelines.importers.session import ImportSession

PRELOAD = ["__main__", "pipelines.importers.iati"]
PART_MEMORY = 16_000_000  # a file's rows held in memory up to this size, then in files
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


def _die_with_parent() -> None:
    """Worker initializer: end this worker as soon as the process that started the pool
    dies, even by SIGKILL (no clean-up runs there). A forkserver's workers are its
    children, not the run's, and hold the pipes that would tell them, so neither a
    parent-death signal nor end-of-file reaches them: a thread waits on the multiprocessing
    sentinel of the starting process instead."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes that end with the block (queued work is cancelled on an error)."""
    if "forkserver" in get_all_start_methods():
        context = get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)  # no effect if a forkserver already runs
    else:
        context = get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_die_with_parent)
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


# --- in the workers ----------------------------------------------------------------------

_BASE: dict[tuple[str, str], ImportSession] = {}  # per worker: regions and rates, read once
_SURVEY: dict[str, Survey] = {}


def _survey_task(path: Path) -> SurveyParts:
    return survey_file(path)


def _map_task(path: Path, out_dir: Path, regions_dir: str | None, part_dir: Path, survey_path: Path,
              seen_before: set[str]) -> FileResult:
    from pipelines.importers.iati import IatiFile

    key = (str(out_dir), str(regions_dir))
    if key not in _BASE:
        _BASE[key] = _base_session(out_dir, regions_dir)
    if str(survey_path) not in _SURVEY:
        _SURVEY.clear()
        with open(survey_path, "rb") as f:
            _SURVEY[str(survey_path)] = pickle.load(f)
    session = _BASE[key].for_part(part_dir, memory_bytes=PART_MEMORY)
    session.seen_ids = set(seen_before)
    try:
        IatiFile(path, session, None, _SURVEY[str(survey_path)]).run()
    finally:
        session.writer.close()
    summary = session.summary
    return FileResult(
        name=summary.files[0], texts=session.writer.texts(), part_dir=part_dir, activities=summary.activities,
        normalised=summary.normalised, errors=summary.errors, used_partners=summary.partners,
        regions=summary.regions, partners=session.partners, years_needed=dict(session.rates.years_needed),
        counts=session.writer.counts, sums=session.writer.reconciliation.sums(),
    )


def _base_session(out_dir: Path, regions_dir: str | None) -> ImportSession:
    """Regions, rates and currencies as the parent read them (the package in out_dir is
    not touched until the import finishes), without a writer."""
    from pipelines.importers.fx import RateBook
    from pipelines.importers.geography import RegionMap
    from pipelines.importers.session import currency_codes

    base = ImportSession.__new__(ImportSession)
    base.regions = RegionMap.load(Path(regions_dir) if regions_dir else None, package=Path(out_dir))
    base.rates = RateBook.for_package(Path(out_dir))
    base.currencies = currency_codes()
    return base


# --- in the parent -----------------------------------------------------------------------

def import_in_parallel(files: list[Path], session: ImportSession, regions_dir: str | Path | None,
                       workers: int, progress: Callable[[str, int, int], None] | None = None,
                       log: Callable[[str], None] | None = None) -> None:
    """Survey and map `files` in `workers` processes into `session`, as if one by one."""
    work = session.writer.tmp / "parts"
    work.mkdir()
    sizes = [p.stat().st_size for p in files]
    total_mb = sum(sizes) / 1e6
    started = last = time.monotonic()
    with worker_pool(workers) as pool:
        parts, seen, repeated = SurveyParts(), set(), []
        for file_parts in pool.map(_survey_task, files):
            repeated.append({ident for ident in file_parts.mapped_ids if ident in seen})
            seen.update(file_parts.mapped_ids)
            file_parts.mapped_ids = []
            parts.merge(file_parts)
        del seen
        survey_path = work / "survey.pickle"
        with open(survey_path, "wb") as f:
            pickle.dump(parts.survey(), f, protocol=pickle.HIGHEST_PROTOCOL)
        del parts
        if log:
            log(f"import: surveyed {len(files)} files, {total_mb:,.1f} MB in "
                f"{time.monotonic() - started:.1f} s")
        out_dir = session.writer.out_dir
        regions = str(regions_dir) if regions_dir else None
        # at most a few files ahead of the merge: finished parts wait here in memory
        window, pending = 2 * workers, deque()
        done_mb = 0.0
        for i, path in enumerate(files):
            while len(pending) < window and i + len(pending) < len(files):
                j = i + len(pending)
                pending.append(pool.submit(_map_task, files[j], out_dir, regions, work / f"part-{j}",
                                           survey_path, repeated[j]))
            result = pending.popleft().result()
            repeated[i] = None
            _merge(session, path, result)
            done_mb += sizes[i] / 1e6
            if progress:
                progress(result.name, sizes[i], sizes[i])
            now = time.monotonic()
            if log and (now - last >= 5 or i == len(files) - 1):
                last = now
                log(f"import: {i + 1}/{len(files)} files, {done_mb:,.1f} of {total_mb:,.1f} MB in "
                    f"{now - started:.1f} s ({done_mb / max(now - started, 1e-9):.1f} MB/s)")


def _merge(session: ImportSession, path: Path, result: FileResult) -> None:
    import shutil

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
    session.writer.append_part(result.texts, result.part_dir, result.counts, result.sums)
    if result.texts is None:
        shutil.rmtree(result.part_dir, ignore_errors=True)
