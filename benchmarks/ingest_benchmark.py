"""Load throughput: generate the sample story at several sizes and time `load_package`.

    .venv/bin/python benchmarks/ingest_benchmark.py [--copies 10 100 1000]

Prints rows, seconds and rows per second for reading+validating+loading, and the
process's peak memory. Packages are generated into a temporary folder (not timed).
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.ingest.load import load_package
from pipelines.sample.generate import generate_package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    args = parser.parse_args()
    print(f"{'copies':>7} {'rows':>11} {'MB':>8} {'generate s':>11} {'load s':>8} {'rows/s':>11} {'peak RSS MB':>12}")
    for copies in args.copies:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "package"
            started = time.perf_counter()
            rows = sum(generate_package(folder, copies=copies, file_format=args.format).values())
            generated = time.perf_counter() - started
            size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
            conn = duckdb.connect(str(Path(tmp) / "w.duckdb"))
            started = time.perf_counter()
            report = load_package(folder, conn)
            loaded = time.perf_counter() - started
            conn.close()
            assert sum(t.rows_read for t in report.tables) == rows
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{copies:>7} {rows:>11,} {size_mb:>8.1f} {generated:>11.1f} {loaded:>8.2f} {rows / loaded:>11,.0f} {peak:>12,.0f}")


if __name__ == "__main__":
    main()
