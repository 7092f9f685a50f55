"""Import throughput and memory of the IATI importer.

    .venv/bin/python benchmarks/import_benchmark.py [--synthetic-mb 60]

Measures (each in a fresh child process, so peak RSS is that import's own):
1. the largest real file in tests/external/iati/activities (copied from ../shared/external);
2. a synthetic file of about --synthetic-mb MB made by repeating that file's activities
   with new identifiers: if memory is bounded, its peak RSS stays close to the first's.
Prints MB/s, transactions/s and peak resident memory. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACTIVITIES = ROOT / "tests" / "external" / "iati" / "activities"  # copies of ../shared/external
TRANSACTION = re.compile(rb"<transaction[\s>]")


def measure(path: Path) -> dict:
    """Run in the child: import one file, report time and peak RSS."""
    sys.path.insert(0, str(ROOT))
    from pipelines.importers.iati import import_iati

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        summary = import_iati([path], out)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "activities": summary.activities,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


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
            f.write(re.sub(rb"<iati-identifier>\s*([^<]*?)\s*</iati-identifier>",
                           rb"<iati-identifier>\1-copy" + str(n).encode() + rb"</iati-identifier>", body))
            f.write(b"\n")
        f.write(tail)
    return path


def run_child(path: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def report(label: str, path: Path) -> None:
    figures = run_child(path)
    size_mb = path.stat().st_size / 1e6
    transactions = len(TRANSACTION.findall(path.read_bytes()))
    print(f"{label}: {path.name}, {size_mb:.1f} MB, {figures['activities']} activities, {transactions} transactions")
    print(f"  {figures['seconds']:.2f} s  ->  {size_mb / figures['seconds']:.1f} MB/s, "
          f"{transactions / figures['seconds']:,.0f} transactions/s, peak RSS {figures['peak_rss_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic-mb", type=float, default=60)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    largest = max(ACTIVITIES.rglob("*.xml"), key=lambda p: p.stat().st_size)
    report("largest real file", largest)
    with tempfile.TemporaryDirectory() as folder:
        report("synthetic", synthetic(largest, args.synthetic_mb, Path(folder)))


if __name__ == "__main__":
    main()
