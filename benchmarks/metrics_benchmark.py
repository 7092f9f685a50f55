"""Metrics time: the sample story at several sizes, loaded, then the marts computed and written.

    .venv/bin/python benchmarks/metrics_benchmark.py [--copies 1 10 100 1000] [--repeat 3]

For each size: rows in the staging tables the metrics read, then the seconds to read them
into Polars, compute every mart, and write the marts back to DuckDB (best of --repeat),
the rows published and the process's peak memory (it only grows, so sizes run smallest
first). Generating and loading the package are not timed (see ingest_benchmark.py).
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.ingest.load import load_package
from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.marts import read_staging_frames, write_marts
from pipelines.metrics.settings import MetricSettings
from pipelines.sample.generate import generate_package


def best_of(repeat: int, work):
    """(fastest seconds, result of the last call)."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = MetricSettings()
    print(f"{'copies':>7} {'staged rows':>12} {'read s':>8} {'compute s':>10} {'write s':>8} "
          f"{'total s':>8} {'mart rows':>10} {'peak RSS MB':>12}")
    for copies in sorted(args.copies):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "package"
            generate_package(folder, copies=copies)
            conn = duckdb.connect(str(Path(tmp) / "w.duckdb"))
            load_package(folder, conn)

            read, frames = best_of(args.repeat, lambda: read_staging_frames(conn))
            staged = sum(f.height for f in frames.values())
            compute, marts = best_of(args.repeat, lambda: compute_region_metrics(frames, settings))
            write, _ = best_of(args.repeat, lambda: write_marts(conn, marts, settings))
            conn.close()
            published = sum(frame.height for frame in marts)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{copies:>7} {staged:>12,} {read:>8.3f} {compute:>10.3f} {write:>8.3f} "
                  f"{read + compute + write:>8.3f} {published:>10,} {peak:>12,.0f}")


if __name__ == "__main__":
    main()
