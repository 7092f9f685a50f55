"""Metrics time: staged packages of growing size, then the marts read, computed and written.

    .venv/bin/python benchmarks/metrics_benchmark.py [--copies 1 10 100 1000] [--transactions 100000 10000000]
                                                     [--repeat 3] [--work DIR]

Two shapes of package:
- `--copies N`: the sample story N times over (`pipelines.sample`, every table grows: N × 61
  partners, N × 88 agreements, …), generated and loaded by the real ingest;
- `--transactions N`: the bundled sample with `staging.transactions` replaced by N rows
  spread over its 88 agreements (dates in 2023–2025, 10 % in kind, 2 % refunds), written
  straight into the staging table (the shape of issue 11: many transactions, few agreements).

For each size a child process reads the staging tables into Polars (`read_staging_frames`),
computes every mart and writes the marts to a scratch warehouse (best of --repeat), and
reports the seconds of each, the rows published and its own peak RSS: the metrics step
alone, not the generating or loading. Staged warehouses are kept in --work for the next run.
"""

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.ingest.load import load_package
from pipelines.metrics.compute import compute_region_metrics
from pipelines.metrics.marts import read_staging_frames, staged_rows, write_marts
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


def staged_copies(work: Path, copies: int) -> Path:
    target = work / f"copies-{copies}.duckdb"
    if not target.exists():
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            generate_package(Path(tmp) / "package", copies=copies)
            with duckdb.connect(str(Path(tmp) / "w.duckdb")) as conn:
                load_package(Path(tmp) / "package", conn)
            shutil.move(str(Path(tmp) / "w.duckdb"), target)
    return target


def staged_transactions(work: Path, rows: int) -> Path:
    target = work / f"transactions-{rows}.duckdb"
    if not target.exists():
        partial = work / f"transactions-{rows}.partial.duckdb"
        shutil.copy(staged_copies(work, 1), partial)
        with duckdb.connect(str(partial)) as conn:
            agreements = conn.execute("SELECT count(*) FROM staging.agreements").fetchone()[0]
            amount = (
                "CAST(CASE WHEN (h >> 30) % 50 = 0 THEN -1 ELSE 1 END * ((h >> 36) % 500000) / 100 AS DECIMAL(18,2))"
            )
            conn.execute(f"""
                CREATE OR REPLACE TABLE staging.transactions AS
                WITH a AS (SELECT row_number() OVER (ORDER BY agreement_id) - 1 AS k, agreement_id
                           FROM staging.agreements),
                     r AS (SELECT i, hash(i) AS h FROM range({rows}) t(i))
                SELECT 'TRX-' || i AS transaction_id, a.agreement_id,
                       DATE '2023-01-01' + CAST((h >> 8) % 1096 AS INTEGER) AS transaction_date,
                       CASE WHEN (h >> 20) % 10 = 0 THEN 'in_kind' ELSE 'income' END AS transaction_type,
                       {amount} AS amount, 'EUR' AS currency, CAST(NULL AS DATE) AS value_date,
                       {amount} AS amount_eur
                FROM r JOIN a ON a.k = CAST(h % {agreements} AS BIGINT)
            """)
        partial.rename(target)
    return target


def measure(staged: Path, repeat: int) -> dict:
    """In the child process: read, compute and write the marts of one staged warehouse."""
    settings = MetricSettings()
    with duckdb.connect(str(staged), read_only=True) as conn:
        read, frames = best_of(repeat, lambda: read_staging_frames(conn))
        rows = staged_rows(conn)
    compute, marts = best_of(repeat, lambda: compute_region_metrics(frames, settings))
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect(str(Path(tmp) / "scratch.duckdb")) as conn:
        write, _ = best_of(repeat, lambda: write_marts(conn, marts, settings))
    return {
        "staged": rows,
        "read": read,
        "compute": compute,
        "write": write,
        "published": sum(frame.height for frame in marts),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="*", default=[1, 10, 100, 1000])
    parser.add_argument("--transactions", type=int, nargs="*", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, help="folder for the staged warehouses (default: a temporary one)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="metrics-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = [("copies", n, staged_copies) for n in sorted(args.copies)] + [
        ("transactions", n, staged_transactions) for n in sorted(args.transactions)
    ]
    print(
        f"{'package':>22} {'staged rows':>12} {'read s':>8} {'compute s':>10} {'write s':>8} "
        f"{'total s':>8} {'mart rows':>10} {'peak RSS MB':>12}"
    )
    try:
        for shape, n, build in sizes:
            staged = build(work, n)
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(staged), "--repeat", str(args.repeat)],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(child.stdout.strip().splitlines()[-1])
            total = r["read"] + r["compute"] + r["write"]
            print(
                f"{f'{shape} {n:,}':>22} {r['staged']:>12,} {r['read']:>8.3f} {r['compute']:>10.3f} "
                f"{r['write']:>8.3f} {total:>8.3f} {r['published']:>10,} {r['peak_mb']:>12,.0f}",
                flush=True,
            )
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
