"""A run publishes everything or nothing (data contract, "Whole states").

Inside a Dagster run, nothing a reader can see changes until the run has succeeded:

- **The warehouse.** The first step that writes copies the published file
  (`WAREHOUSE_PATH`) to a build file beside it (`<WAREHOUSE_PATH>.next`) and works on that
  copy; later steps and the blocking checks read the build. When the run ends with every
  step (and so every blocking check) passed, the build is checkpointed, fsynced and renamed
  over the published file: one atomic `rename`. Readers see the previous file or the new
  one, whole; a failed step, a failed blocking check or a `kill -9` at any moment leaves the
  published file as it was, and the next run deletes the left-over build.
- **Reports.** PDFs are written into a temporary folder of the run beside REPORTS_DIR
  (`.<name>.partial-<run>`, inside REPORTS_DIR when the folder beside it is on another
  disk or not writable). After the warehouse is published, each `<period>/` folder is
  swapped with the published one in one `renameat2(RENAME_EXCHANGE)`: a reader sees all
  of the previous period's PDFs or all of the new ones.
- **Package fingerprint.** `audit.package.fingerprint` and the `package_fingerprint`
  column of every mart must agree before anything is published: a run that loaded a
  package without rebuilding the marts publishes nothing (NotPublished).

With DuckLake (WAREHOUSE_CATALOG) the run is one transaction instead of a build copy:
`pipelines/lake.py`, `LakePublication`.

Outside a run (tests, benchmarks calling functions with a connection) nothing of this
applies: `WarehouseResource.get_connection()` then opens the published file itself.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.crashpoints import reached

BUILD_SUFFIX = ".next"
REGION_PDF = re.compile(r"[A-Z][A-Z0-9_]{0,15}\.pdf")


class NotPublished(Exception):
    """The run's results were not published; the message says why."""


def build_path(warehouse: str | Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + BUILD_SUFFIX)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def umask() -> int:
    """The process's umask, read without changing it where Linux allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """0o666 less the umask: what `open()` gives a new file."""
    return 0o666 & ~umask()


class Publication:
    """What one run builds and publishes at its end: the build copy of the warehouse and
    the report folders (`ReportStage`) registered with it."""

    def __init__(self, warehouse: str | Path, run_id: str, log: Callable[[str], None] | None = None):
        self.warehouse = Path(warehouse)
        self.build = build_path(self.warehouse)
        self.run_id = run_id
        self.log = log or (lambda _: None)
        self.stages: list[ReportStage] = []
        self.outcome: str | None = None  # a line for the CLI: what was published, or why not
        self.failed = False

    # --- the run's start: left-overs of a dead run go --------------------------------

    def begin(self) -> Publication:
        for stale in (self.build, Path(f"{self.build}.wal")):
            if stale.exists():
                self.log(f"Removing {stale}, left by a run that did not finish")
                _remove(stale)
        wal = Path(f"{self.warehouse}.wal")
        if wal.exists() and self.warehouse.exists():
            # a writer outside the pipeline died with changes in the WAL: fold them in
            # now, while no build exists (the build is a copy of the file alone)
            with duckdb.connect(str(self.warehouse)) as conn:
                conn.execute("CHECKPOINT")
        return self

    # --- during the run ----------------------------------------------------------------

    def writable(self) -> Path:
        """The build file: a copy of the published warehouse, made at the first write."""
        if not self.build.exists():
            if self.warehouse.exists():
                shutil.copyfile(self.warehouse, self.build)
            reached("build:copied")
        return self.build

    def readable(self) -> Path:
        """What the run's readers (checks, reports) see: its build, else the published file."""
        return self.build if self.build.exists() else self.warehouse

    def add_stage(self, stage: ReportStage) -> None:
        self.stages.append(stage)

    # --- the run's end -----------------------------------------------------------------

    def finish(self, succeeded: bool) -> None:
        """Publish the build and the report folders if the run succeeded; else drop both."""
        try:
            if not succeeded:
                self.failed = True
                self.outcome = "nothing was published: the run failed"
                return
            fingerprint = self._publish_warehouse()
            for stage in self.stages:
                stage.publish()
            if fingerprint:
                self.outcome = f"published package {fingerprint}"
                self.log(f"Published the warehouse (package {fingerprint}) and the reports of this run")
        except BaseException:
            self.failed = True
            raise
        finally:
            self._discard_build()
            for stage in self.stages:
                stage.discard()

    def _discard_build(self) -> None:
        _remove(self.build)
        _remove(Path(f"{self.build}.wal"))

    def _publish_warehouse(self) -> str | None:
        if not self.build.exists():
            return None  # the run wrote nothing (a reports-only run)
        with duckdb.connect(str(self.build)) as conn:  # folds a WAL in, if any
            conn.execute("CHECKPOINT")
            fingerprint = consistent_fingerprint(conn)
        fsync_path(self.build)
        wal = Path(f"{self.warehouse}.wal")
        if wal.exists():
            raise NotPublished(
                f"warehouse {self.warehouse} has changes of another writer in {wal.name}; "
                "nothing was published (close the program writing it and run again)"
            )
        reached("publish:before-swap")
        os.replace(self.build, self.warehouse)
        fsync_path(self.warehouse.parent)
        reached("publish:after-swap")
        return fingerprint


def consistent_fingerprint(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The package fingerprint of the build, after checking that every mart was built from
    it; raises NotPublished otherwise."""
    tables = {
        (s, t)
        for s, t in conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    if ("audit", "package") not in tables:
        return None
    row = conn.execute("SELECT fingerprint FROM audit.package").fetchone()
    fingerprint = row[0] if row else None
    for schema, table in sorted(tables):
        if schema != "marts":
            continue
        columns = [r[0] for r in conn.execute(f'DESCRIBE marts."{table}"').fetchall()]
        if "package_fingerprint" not in columns:
            raise NotPublished(
                f"marts.{table} was built before marts carried their package's fingerprint, "
                f"and this run loaded package {fingerprint} without rebuilding it: nothing was "
                "published (run refresh_all or load_package, which rebuild the marts)"
            )
        other = conn.execute(
            f'SELECT any_value(package_fingerprint) FROM marts."{table}" WHERE package_fingerprint IS DISTINCT FROM ?',
            [fingerprint],
        ).fetchone()
        if (
            other
            and conn.execute(
                f'SELECT count(*) FROM marts."{table}" WHERE package_fingerprint IS DISTINCT FROM ?', [fingerprint]
            ).fetchone()[0]
        ):
            raise NotPublished(
                f"marts.{table} is from package {other[0]} but staging from package {fingerprint}: "
                "nothing was published (run refresh_all or load_package, which rebuild the marts)"
            )
    return fingerprint


# --- reports ----------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


class ReportStage:
    """The temporary folder where one run writes its PDFs, published as `<period>/` sets."""

    def __init__(self, reports_dir: str | Path, run_id: str):
        self.reports_dir = Path(reports_dir).resolve()
        self.run_id = run_id
        parent = self.reports_dir.parent
        beside = parent / f".{self.reports_dir.name}.partial-{run_id[:8]}"
        self.root = (
            beside if _same_disk_and_writable(parent, self.reports_dir) else self.reports_dir / f".partial-{run_id[:8]}"
        )
        self.written: set[Path] = set()  # final paths written by this run
        self.region_sets: set[str] = set()  # periods whose region reports this run rendered in full

    def clean_stale(self) -> None:
        """Temporary folders of runs that died (the run lock is held: none is in use)."""
        patterns = [(self.reports_dir.parent, f".{self.reports_dir.name}.partial-"), (self.reports_dir, ".partial-")]
        for folder, prefix in patterns:
            if folder.is_dir():
                for stale in folder.iterdir():
                    if stale.name.startswith(prefix):
                        _remove(stale)

    def path(self, final: Path) -> Path:
        """Where to write the file that will be published at `final`."""
        relative = Path(final).resolve().relative_to(self.reports_dir)
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)  # 0o777 less the umask
        self.written.add(Path(final).resolve())
        return target

    def publish(self) -> None:
        if not self.root.is_dir():
            return
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        for new in sorted(p for p in self.root.iterdir() if p.is_dir()):
            target = self.reports_dir / new.name
            if target.is_dir():
                self._carry_over(target, new)
            fsync_path(new)
            reached(f"reports:publish:{new.name}")
            if not target.exists():
                os.rename(new, target)
            elif not exchange(new, target):
                # no RENAME_EXCHANGE (another OS or filesystem): two renames, a moment apart
                os.rename(target, self.root / f"{new.name}.previous")
                os.rename(new, target)
            fsync_path(self.reports_dir)
        reached("reports:published")

    def _carry_over(self, old: Path, new: Path) -> None:
        """Files of the published period that this run did not write stay: hard links into
        the new set (a region report of a region no longer in the data goes when this run
        rendered every region of the period)."""
        for item in old.iterdir():
            if not item.is_file() or item.name.startswith("."):
                continue
            if (new / item.name).exists() or item.resolve() in self.written:
                continue
            if old.name in self.region_sets and REGION_PDF.fullmatch(item.name):
                continue
            try:
                os.link(item, new / item.name)
            except OSError:
                shutil.copy2(item, new / item.name)

    def discard(self) -> None:
        _remove(self.root)


def existing(path: Path) -> Path:
    """`path`, else its nearest ancestor that exists."""
    return next(p for p in [path, *path.parents] if p.exists())


def _same_disk_and_writable(parent: Path, reports_dir: Path) -> bool:
    try:
        if os.stat(existing(parent)).st_dev != os.stat(existing(reports_dir)).st_dev or not parent.is_dir():
            return False
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".partner-reports-probe-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


# --- the run being built in this process ------------------------------------------------

_current: Publication | None = None
last_outcome: Publication | None = None


def current() -> Publication | None:
    return _current


def set_current(publication: Publication | None) -> None:
    global _current, last_outcome
    _current = publication
    if publication is not None:
        last_outcome = publication
