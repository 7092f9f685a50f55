"""A folder imported by worker processes (iati_parallel.py) writes exactly what one file
after another writes: every CSV byte for byte, and the same summary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.importers.iati import import_iati
from pipelines.importers.iati_parallel import workers_for
from tests.importers.sources import EXTERNAL
from tests.importers.test_iati_flow_roles import DONOR_IN_NEPAL, DONOR_TO_INTERMEDIARY, INTERMEDIARY
from tests.importers.test_iati_mapping import write

ACTIVITIES = EXTERNAL / "iati" / "activities"


def assert_same_package(sequential: Path, parallel: Path) -> None:
    names = sorted(p.name for p in sequential.iterdir())
    assert names == sorted(p.name for p in parallel.iterdir())
    assert "import_summary.csv" in names and "transactions.csv" in names
    different = [n for n in names if (sequential / n).read_bytes() != (parallel / n).read_bytes()]
    assert not different, f"differ between the sequential and the parallel import: {different}"


def both(paths: list[Path], tmp_path: Path, **kwargs) -> tuple[Path, Path]:
    sequential, parallel = tmp_path / "sequential", tmp_path / "parallel"
    one = import_iati(paths, sequential, workers=1, **kwargs)
    lines: list[str] = []
    two = import_iati(paths, parallel, workers=2, log=lines.append, **kwargs)
    assert one == two
    assert lines and lines[-1].startswith(f"import: {len(one.files)}/{len(one.files)} files")
    return sequential, parallel


def test_the_real_files_in_parallel_are_the_sequential_import(tmp_path):
    sequential, parallel = both([ACTIVITIES], tmp_path)
    assert_same_package(sequential, parallel)
    assert not (parallel / ".import-tmp").exists()


def test_duplicates_across_files_and_flows_counted_on_the_other_side(tmp_path):
    """Cross-file facts the workers cannot see alone: the same activities in two folders
    (the second copy's are duplicates), and a donor's file whose flows the intermediary's
    file reports receiving (pass-through on the donor's side, from the survey)."""
    copy = tmp_path / "copy"
    shutil.copytree(ACTIVITIES / "v2", copy / "v2")
    donor = write(tmp_path, DONOR_TO_INTERMEDIARY + DONOR_IN_NEPAL, name="donor.xml")
    intermediary = write(tmp_path, INTERMEDIARY, name="intermediary.xml")
    sequential, parallel = both([ACTIVITIES, copy, donor, intermediary], tmp_path)
    assert_same_package(sequential, parallel)
    rejects = (parallel / "rejects.csv").read_text()
    assert "duplicate iati-identifier" in rejects
    assert "reports receiving it" in (parallel / "pass_through.csv").read_text()


def test_a_file_that_is_not_well_formed_among_others(tmp_path):
    broken = write(tmp_path, INTERMEDIARY + "<iati-activity><iati-identifier>X</iati-identifier>", name="broken.xml")
    sequential, parallel = both([ACTIVITIES / "v1", broken], tmp_path)
    assert_same_package(sequential, parallel)
    assert "not well-formed XML" in (parallel / "rejects.csv").read_text()


def test_merging_into_an_existing_package(tmp_path):
    """A second import into the same folders: the merge by key sees the same rows."""
    sequential, parallel = both([ACTIVITIES / "v1"], tmp_path)
    import_iati([ACTIVITIES / "v2"], sequential, workers=1)
    import_iati([ACTIVITIES / "v2"], parallel, workers=2)
    assert_same_package(sequential, parallel)


@pytest.mark.parametrize(
    "files, requested, expected",
    [
        (1, None, 1),  # one file: nothing to share out
        (2, None, 1),  # 12 MB in all: starting workers would cost more than it saves
        (3, 1, 1),  # asked for one process
        (3, 8, 3),  # never more workers than files
    ],
)
def test_how_many_workers(tmp_path, files, requested, expected):
    paths = []
    for n in range(files):
        path = tmp_path / f"{n}.xml"
        path.write_bytes(b"x" * 6_000_000)
        paths.append(path)
    assert workers_for(paths, requested) == expected


def test_workers_end_when_the_import_is_killed(tmp_path):
    """`kill -9` of the importing process: its workers exit too (none is left writing)."""
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent("""
        import os, time
        from pipelines.importers.iati_parallel import worker_pool
        if __name__ == "__main__":
            with worker_pool(2) as pool:
                [f.result() for f in [pool.submit(os.getpid) for _ in range(4)]]
                print(*sorted(pool._processes), flush=True)
                time.sleep(600)
    """)
    )
    root = Path(__file__).resolve().parents[2]
    run = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        pids = [int(p) for p in run.stdout.readline().split()]
        assert len(pids) == 2
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
            time.sleep(0.05)
        assert not [p for p in pids if Path(f"/proc/{p}").exists()]
    finally:
        run.kill()


def test_files_too_large_to_read_once_are_surveyed_then_mapped(tmp_path):
    """The path of files over READ_ONCE_BYTES (here every file): survey first, then map."""
    from pipelines.importers.iati_parallel import import_in_parallel
    from pipelines.importers.session import ImportSession
    from pipelines.importers.source_files import iter_files

    files = list(iter_files([ACTIVITIES], (".xml",)))
    import_iati([ACTIVITIES], tmp_path / "sequential", workers=1)
    session = ImportSession(tmp_path / "parallel")
    import_in_parallel(files, session, None, 2, read_once_bytes=0)
    session.finish()
    assert_same_package(tmp_path / "sequential", tmp_path / "parallel")


def test_parts_and_questions_waiting_on_disk(tmp_path, monkeypatch):
    """Beyond what the parent holds in memory, first-pass parts and their recorded
    questions wait on disk: same output."""
    import pipelines.importers.iati_parallel as parallel

    monkeypatch.setattr(parallel, "HELD_BYTES", 0)
    sequential, parallel_out = both([ACTIVITIES], tmp_path)
    assert_same_package(sequential, parallel_out)
