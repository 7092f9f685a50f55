"""Load throughput: time `load_package` on generated packages, beside DuckDB's own typed
read of the same transactions file.

    .venv/bin/python benchmarks/ingest_benchmark.py [--copies 10 100 1000] [--format csv|parquet]
    .venv/bin/python benchmarks/ingest_benchmark.py --rows 1000000 10000000 [--work DIR]

`--copies C` scales every table of the sample story (`pipelines.sample`); `--rows N` is the
sample with `transactions.csv` replaced by N valid rows (the package of
benchmarks/scale_benchmark.py). Packages are generated first (not timed; with `--work`
they are kept there and reused by the next run). Each measurement runs in a fresh child
process, so that its peak RSS is its own: the load (through `pipelines.warehouse.connect`,
with the DuckDB memory settings every step gets), then a plain `CREATE TABLE AS SELECT *
FROM read_csv(...)` of transactions.csv with DuckDB's detected types.

Prints rows, MB, seconds, rows per second and CPU seconds (user + system, all threads) of
the load, its peak RSS, the typed read's seconds, CPU seconds and peak RSS, and the ratio
load / typed read (wall). On a shared machine CPU seconds move less than wall seconds.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not getrusage: ru_maxrss survives exec, so a child
    would report its parent's peak (the parent builds the packages) when that is higher."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far, every thread (DuckDB's) included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_load(folder: str, warehouse: str) -> dict:
    from pipelines.ingest.load import load_package
    from pipelines.warehouse import connect

    started, cpu = time.perf_counter(), cpu_seconds()
    with connect(warehouse) as conn:
        report = load_package(folder, conn)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu": cpu_seconds() - cpu,
        "rows": sum(t.rows_read for t in report.tables),
        "transactions": report.table("transactions").rows_read,
        "rss": peak_rss_mb(),
    }


def child_typed_read(folder: str, warehouse: str) -> dict:
    import duckdb

    files = list(Path(folder).glob("transactions.*"))
    reader = "read_parquet" if files[0].suffix == ".parquet" else "read_csv"
    started, cpu = time.perf_counter(), cpu_seconds()
    with duckdb.connect(warehouse) as conn:
        conn.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM {reader}(?)", [str(files[0])])
        rows = conn.execute("SELECT count(*) FROM t").fetchone()[0]
    return {"seconds": time.perf_counter() - started, "cpu": cpu_seconds() - cpu, "rows": rows, "rss": peak_rss_mb()}


def run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build(work: Path, label: str, make) -> Path:
    folder = work / label
    if not (folder / "regions.csv").exists() and not (folder / "regions.parquet").exists():
        started = time.perf_counter()
        make(folder)
        print(f"built {label} in {time.perf_counter() - started:.1f} s", flush=True)
    return folder


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("--child-"):
        child = child_load if sys.argv[1] == "--child-load" else child_typed_read
        print(json.dumps(child(sys.argv[2], sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--copies",
        type=int,
        nargs="*",
        default=None,
        help="scale every table of the sample story (default 10 100 1000 unless --rows)",
    )
    parser.add_argument("--rows", type=int, nargs="*", default=[], help="transactions rows of a --rows package")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="of --copies packages")
    parser.add_argument("--work", type=Path, help="keep generated packages here and reuse them")
    args = parser.parse_args()
    copies = args.copies if args.copies is not None else ([] if args.rows else [10, 100, 1000])

    sys.path.insert(0, str(ROOT))
    from benchmarks.scale_benchmark import transactions_package
    from pipelines.sample.generate import generate_package

    work = args.work or Path(tempfile.mkdtemp(prefix="ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    packages = [
        build(work, f"copies{c}-{args.format}", lambda f, c=c: generate_package(f, copies=c, file_format=args.format))
        for c in copies
    ]
    packages += [build(work, f"rows{n}", lambda f, n=n: transactions_package(f, n)) for n in args.rows]

    header = (
        f"{'package':<18}{'rows':>13}{'transactions':>14}{'MB':>8}{'load s':>9}{'rows/s':>12}"
        f"{'load CPU s':>11}{'peak RSS MB':>13}{'read s':>8}{'read CPU s':>11}{'read MB':>9}{'load/read':>11}"
    )
    print(header)
    for folder in packages:
        size_mb = sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 1e6
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            load = run_child("--child-load", str(folder), str(Path(tmp) / "w.duckdb"))
            read = run_child("--child-read", str(folder), str(Path(tmp) / "r.duckdb"))
        print(
            f"{folder.name:<18}{load['rows']:>13,}{load['transactions']:>14,}{size_mb:>8.1f}"
            f"{load['seconds']:>9.2f}{load['rows'] / load['seconds']:>12,.0f}{load['cpu']:>11.1f}{load['rss']:>13,.0f}"
            f"{read['seconds']:>8.2f}{read['cpu']:>11.1f}{read['rss']:>9,.0f}"
            f"{load['seconds'] / read['seconds']:>11.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
