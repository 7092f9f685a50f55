"""Import throughput and memory of the IATI importer.

    .venv/bin/python benchmarks/import_benchmark.py [--synthetic-mb 60] [--copies 20] [--workers N]

Measures (each in a fresh child process, so peak RSS is that import's own):
1. the largest real file in tests/external/iati/activities (copied from ../shared/external);
2. a synthetic file of about --synthetic-mb MB made by repeating that file's activities
   with new identifiers: if memory is bounded, its peak RSS stays close to the first's;
3. a folder of many files: --copies copies of all the real IATI files, identifiers (and
   the references to them) suffixed per copy, imported one file after another
   (--workers 1) and then with the worker processes (default: one per core).
Prints MB/s, transactions/s and peak resident memory: of the importing process, and the
peak of the sum over it and all its descendants (the workers), sampled every 20 ms.
The machine may be shared: run it more than once. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACTIVITIES = ROOT / "tests" / "external" / "iati" / "activities"  # copies of ../shared/external
TRANSACTION = re.compile(rb"<transaction[\s>]")


def _descendants(root: int) -> list[int]:
    """`root` and every process descended from it, from the kernel's list of each thread's
    children (Linux /proc/PID/task/TID/children): a few small reads, where scanning all of
    /proc took 6 % of a core at one sample every 20 ms, beside the workers it measures."""
    tree, todo = [root], [root]
    while todo:
        pid = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    children = [int(child) for child in f.read().split()]
            except OSError:
                continue
            tree.extend(children)
            todo.extend(children)
    return tree


def _tree_rss_kb(root: int, cpu: dict[int, float] | None = None) -> tuple[int, int]:
    """Resident memory of `root` alone and of `root` with every process descended from it,
    in KB (Linux /proc); `cpu` receives each descendant's CPU seconds so far."""
    rss = {}
    for pid in _descendants(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        if cpu is not None and pid != root:
            cpu[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss.get(root, 0), sum(rss.values())


class TreePeak(threading.Thread):
    """Samples resident memory until stopped: the largest of this process alone and of the
    sum over it and its descendants. (Sampled rather than ru_maxrss, which Linux carries
    over from the parent's memory at fork/exec: it would show the benchmark's own size.)"""

    def __init__(self, every: float = 0.02):
        super().__init__(daemon=True)
        self.every, self.peak_kb, self.tree_peak_kb, self._done = every, 0, 0, threading.Event()
        self.cpu: dict[int, float] = {}  # descendant -> CPU seconds, as last seen

    def run(self) -> None:
        while not self._done.is_set():
            own, tree = _tree_rss_kb(os.getpid(), self.cpu)
            self.peak_kb, self.tree_peak_kb = max(self.peak_kb, own), max(self.tree_peak_kb, tree)
            self._done.wait(self.every)

    def stop(self) -> tuple[int, int]:
        self._done.set()
        self.join()
        return self.peak_kb, self.tree_peak_kb


def measure(path: Path, workers: int | None = None) -> dict:
    """Run in the child: import one file or folder, report time and peak RSS."""
    sys.path.insert(0, str(ROOT))
    from pipelines.importers.iati import import_iati

    with tempfile.TemporaryDirectory() as out:
        sampler = TreePeak()
        sampler.start()
        started, cpu = time.perf_counter(), time.process_time()
        summary = import_iati([path], out, workers=workers)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        own_peak, tree_peak = sampler.stop()
    workers_cpu = sorted(sampler.cpu.values(), reverse=True)
    return {
        "seconds": seconds,
        "activities": summary.activities,
        "files": len(summary.files),
        "peak_rss_mb": own_peak / 1024,
        "tree_peak_rss_mb": tree_peak / 1024,
        "cpu_seconds": cpu + sum(workers_cpu),
        "busiest_worker_cpu": workers_cpu[0] if workers_cpu else 0.0,
    }


ID_REFS = [  # an activity's identifier, and the attributes that refer to one
    re.compile(rb"(<iati-identifier>\s*)([^<]*?)(\s*</iati-identifier>)"),
    re.compile(rb"(<related-activity\b[^>]*?\bref=\")([^\"]*)(\")"),
    re.compile(rb"(\breceiver-activity-id=\")([^\"]*)(\")"),
    re.compile(rb"(\bprovider-activity-id=\")([^\"]*)(\")"),
]


def many_files(copies: int, folder: Path) -> Path:
    """`copies` copies of every real IATI file, identifiers and references suffixed per copy
    (so no activity is a duplicate and links between activities stay within a copy)."""
    sources = sorted(ACTIVITIES.rglob("*.xml"))
    for n in range(copies):
        suffix = f"-copy{n}".encode()
        for source in sources:
            text = source.read_bytes()
            for pattern in ID_REFS:
                text = pattern.sub(lambda m, suffix=suffix: m[1] + m[2] + suffix + m[3] if m[2] else m[0], text)
            target = folder / f"copy{n:02d}" / source.parent.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text)
    return folder


def synthetic(source: Path, target_mb: float, folder: Path) -> Path:
    """Repeat the source's activities, suffixing identifiers so none is a duplicate."""
    text = source.read_bytes()
    start, end = text.index(b"<iati-activity "), text.rindex(b"</iati-activity>") + len(b"</iati-activity>")
    head, body, tail = text[:start], text[start:end], text[end:]
    copies = max(1, int(target_mb * 1e6 // len(body)))
    path = folder / f"synthetic-{copies}x.xml"
    with path.open("wb") as f:
        f.write(head)
        for n in range(copies):
            f.write(
                re.sub(
                    rb"<iati-identifier>\s*([^<]*?)\s*</iati-identifier>",
                    rb"<iati-identifier>\1-copy" + str(n).encode() + rb"</iati-identifier>",
                    body,
                )
            )
            f.write(b"\n")
        f.write(tail)
    return path


def run_child(path: Path, workers: int | None = None) -> dict:
    command = [sys.executable, __file__, "--child", str(path)]
    if workers is not None:
        command += ["--workers", str(workers)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def report(label: str, path: Path, workers: int | None = None) -> None:
    figures = run_child(path, workers)
    files = sorted(path.rglob("*.xml")) if path.is_dir() else [path]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    transactions = sum(len(TRANSACTION.findall(p.read_bytes())) for p in files)
    print(
        f"{label}: {path.name}, {len(files)} file(s), {size_mb:.1f} MB, {figures['activities']} activities, "
        f"{transactions} transactions; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  {figures['seconds']:.2f} s  ->  {size_mb / figures['seconds']:.1f} MB/s, "
        f"{transactions / figures['seconds']:,.0f} transactions/s, peak RSS {figures['peak_rss_mb']:.0f} MB "
        f"(importing process), {figures['tree_peak_rss_mb']:.0f} MB (with its workers)"
    )
    busiest = f", busiest worker {figures['busiest_worker_cpu']:.2f} s" if figures["busiest_worker_cpu"] else ""
    print(
        f"  CPU {figures['cpu_seconds']:.2f} s in all ({size_mb / figures['cpu_seconds']:.1f} MB per CPU-second)"
        f"{busiest}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic-mb", type=float, default=60)
    parser.add_argument("--copies", type=int, default=20, help="copies of the real files in the folder test (0: skip)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="worker processes for the folder (default: one per core)"
    )
    parser.add_argument("--only-folder", action="store_true", help="skip the single-file measurements")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.workers)))
        return
    largest = max(ACTIVITIES.rglob("*.xml"), key=lambda p: p.stat().st_size)
    if not args.only_folder:
        report("largest real file", largest)
        with tempfile.TemporaryDirectory() as folder:
            report("synthetic", synthetic(largest, args.synthetic_mb, Path(folder)))
    if args.copies:
        with tempfile.TemporaryDirectory() as folder:
            many = many_files(args.copies, Path(folder) / f"real-files-x{args.copies}")
            report("folder, one file after another (--workers 1)", many, 1)
            report(f"folder, {args.workers} worker processes", many, args.workers)


if __name__ == "__main__":
    main()
