"""The whole pipeline at scale, beside a plain DuckDB script doing the core of the job.

    .venv/bin/python benchmarks/scale_benchmark.py [--sizes 100000 1000000 10000000]
                                                   [--copies 300] [--no-reports] [--work DIR]
                                                   [--warehouse duckdb|ducklake [--catalog CONNINFO]]

For each size N, a package is built (not timed): the bundled sample's tables with
`transactions.csv` replaced by N valid rows spread over the sample's loaded agreements
(their currencies, dates in 2023–2025, 10 % in kind, 2 % refunds). `--copies C` adds one
package whose every table is scaled (`python -m pipelines.sample --copies C`).

Each package is run twice, each time in a fresh child process so that peak RSS is that
run's own:
1. the real pipeline (`refresh_all`, as `partner-reports run` runs it): wall time, the
   time of each Dagster step, the run process's peak RSS (VmHWM) and the peak of the run
   and its render workers together (sampled every 0.2 s);
2. a plain DuckDB script on the same files: typed read of the CSVs, as-of conversion to
   EUR rounded per row, region × year partner shares, funder count, top share and HHI.

`--warehouse ducklake` runs the pipeline on DuckLake (docs/production.md): the catalog in
the PostgreSQL of `--catalog` (a connection without password; PGPASSWORD gives it), else
in a throwaway server started from the Debian packages (tests/postgres_server.py, one
database per run), and the Parquet files in the run's folder.

Printed per size: seconds, peak RSS, and the pipeline's marginal cost
(T_pipeline(N) − T_pipeline(sample)) / T_script(N), the figure issue 11 sets at ≤ 2; then
the same in CPU seconds (user + system of the run's process, DuckDB's threads included,
render workers not; of the script's process), which a busy machine disturbs much less.
Figures, not assertions: docs/performance.md records them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

CORE_SCRIPT = """
CREATE TABLE fx AS  -- the sample's few broken rate rows are left out, as the loader rejects them
SELECT currency, TRY_CAST(rate_date AS DATE) AS rate_date, TRY_CAST(eur_per_unit AS DECIMAL(24,12)) AS eur_per_unit
FROM read_csv($fx, header = true, all_varchar = true)
WHERE TRY_CAST(rate_date AS DATE) IS NOT NULL AND TRY_CAST(eur_per_unit AS DECIMAL(24,12)) > 0;
CREATE TABLE agreements AS SELECT agreement_id, partner_id, region_code FROM read_csv($agreements, header = true,
    all_varchar = true);
CREATE TABLE tx AS SELECT * FROM read_csv($transactions, header = true, columns = {
    'transaction_id': 'VARCHAR', 'agreement_id': 'VARCHAR', 'transaction_date': 'DATE',
    'transaction_type': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'currency': 'VARCHAR'});
CREATE TABLE shares AS
WITH converted AS (
    SELECT tx.agreement_id, tx.transaction_date,
           CASE WHEN tx.currency = 'EUR' THEN tx.amount
                ELSE round(tx.amount * fx.eur_per_unit, 2)::DECIMAL(18,2) END AS amount_eur
    FROM tx ASOF LEFT JOIN fx ON fx.currency = tx.currency AND tx.transaction_date >= fx.rate_date
),
by_partner AS (
    SELECT a.region_code, year(c.transaction_date) AS year, a.partner_id, sum(c.amount_eur) AS support
    FROM converted c JOIN agreements a USING (agreement_id) GROUP BY ALL
),
shared AS (
    SELECT *, support / sum(support) OVER (PARTITION BY region_code, year) AS share FROM by_partner
)
SELECT region_code, year, count(*) AS funders, max(share) AS top_share, sum(share * share) AS hhi
FROM shared GROUP BY ALL ORDER BY ALL;
"""


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far, all its threads (DuckDB's) included.
    Render workers are other processes and are not counted."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def own_peak_rss_mb() -> float:
    """This process's high-water mark (VmHWM: unlike ru_maxrss it does not start from
    the peak of the process that forked it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, now."""
    parents, rss = {}, {}
    for stat in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in stat.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields.get("PPid", "0").split()[0])
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(rss.get(pid, 0.0) for pid in tree)


# --- children -------------------------------------------------------------------------


def child_pipeline(package: str, work: str, reports: bool, catalog: str = "") -> dict:
    os.environ.update(
        {"PARTNER_DATA_DIR": package, "WAREHOUSE_PATH": f"{work}/warehouse.duckdb", "REPORTS_DIR": f"{work}/reports"}
    )
    if catalog:
        os.environ.update({"WAREHOUSE_CATALOG": catalog, "WAREHOUSE_DATA_PATH": f"{work}/lake-data"})
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.settings import Settings

    started, cpu = time.perf_counter(), cpu_seconds()
    job = build_definitions(Settings.from_env(dict(os.environ))).resolve_job_def("refresh_all")
    if not reports:
        job = job.get_subset(op_selection=[n for n in job.graph.node_names() if not n.startswith("reports")])
    instance = DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    wall = time.perf_counter() - started
    begun, steps = {}, {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is not None and event.event_type_value == "STEP_START":
            begun[event.step_key] = entry.timestamp
        elif event is not None and event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            steps[event.step_key] = entry.timestamp - begun[event.step_key]
    return {
        "success": result.success,
        "wall": wall,
        "cpu": cpu_seconds() - cpu,
        "steps": steps,
        "rss": own_peak_rss_mb(),
    }


def child_script(package: str) -> dict:
    import duckdb

    started, cpu = time.perf_counter(), cpu_seconds()
    conn = duckdb.connect()
    for name, value in {"fx": "fx_rates", "agreements": "agreements", "transactions": "transactions"}.items():
        conn.execute(f"SET VARIABLE {name} = '{Path(package) / (value + '.csv')}'")
    conn.execute(
        CORE_SCRIPT.replace("$fx", "getvariable('fx')")
        .replace("$agreements", "getvariable('agreements')")
        .replace("$transactions", "getvariable('transactions')")
    )
    rows = conn.execute("SELECT count(*) FROM shares").fetchone()[0]
    return {"wall": time.perf_counter() - started, "cpu": cpu_seconds() - cpu, "rss": own_peak_rss_mb(), "rows": rows}


def run_child(*args: str) -> dict:
    """Run a child; its JSON result plus the peak memory of its whole process tree
    (the run and its render workers together), sampled every 0.2 s."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([sys.executable, __file__, *args], stdout=out, stderr=err, text=True, cwd=ROOT)
        tree_peak = 0.0
        while child.poll() is None:
            tree_peak = max(tree_peak, _tree_rss_mb(child.pid))
            time.sleep(0.2)
        out.seek(0), err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"child {args[0]} failed:\n{err.read()[-3000:]}")
        result = json.loads(out.read().strip().splitlines()[-1])
    result["tree_rss"] = tree_peak
    return result


# --- packages -------------------------------------------------------------------------


def transactions_package(folder: Path, rows: int) -> Path:
    """The sample with N generated transactions over the agreements the sample loads."""
    import duckdb

    from pipelines.ingest.load import load_package

    folder.mkdir(parents=True)
    for path in SAMPLE.glob("*.csv"):
        if path.name != "transactions.csv":
            shutil.copy(path, folder / path.name)
    conn = duckdb.connect()
    load_package(SAMPLE, conn, "EUR")
    conn.execute("""
        CREATE TEMP TABLE valid AS
        SELECT row_number() OVER (ORDER BY agreement_id) - 1 AS i, agreement_id, currency FROM staging.agreements
    """)
    count = conn.execute("SELECT count(*) FROM valid").fetchone()[0]
    conn.execute(f"""
        COPY (
            SELECT printf('TRX-S-%010d', r) AS transaction_id, v.agreement_id,
                   DATE '2023-01-01' + CAST(hash(r, 1) % 1096 AS INTEGER) AS transaction_date,
                   CASE WHEN hash(r, 2) % 10 = 0 THEN 'in_kind' ELSE 'income' END AS transaction_type,
                   ((CASE WHEN hash(r, 3) % 50 = 0 THEN -1 ELSE 1 END)
                    * (1000 + hash(r, 4) % 5000000) / 100)::DECIMAL(18,2) AS amount,
                   v.currency
            FROM range({rows}) AS t(r) JOIN valid v ON v.i = hash(r, 5) % {count}
            ORDER BY r
        ) TO '{folder / "transactions.csv"}' (HEADER, DELIMITER ',')
    """)
    return folder


def copies_package(folder: Path, copies: int) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pipelines.sample", "--out", str(folder), "--copies", str(copies)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return folder


# --- the parent -----------------------------------------------------------------------


def measure(label: str, package: Path, work: Path, reports: bool, catalog: Callable[[str], str] | None) -> dict:
    rows = sum(1 for _ in (package / "transactions.csv").open("rb")) - 1
    size = sum(p.stat().st_size for p in package.iterdir()) / 1e6
    run_dir = work / f"run-{label}"
    run_dir.mkdir()
    pipeline = run_child(
        "--child-pipeline", str(package), str(run_dir), "1" if reports else "0", catalog(label) if catalog else ""
    )
    # the sample's own transactions hold rows broken on purpose: no typed read for it
    script = (
        run_child("--child-script", str(package))
        if package != SAMPLE
        else {"wall": float("nan"), "cpu": float("nan"), "rss": float("nan")}
    )
    shutil.rmtree(run_dir, ignore_errors=True)
    return {"label": label, "transactions": rows, "mb": size, "pipeline": pipeline, "script": script}


STEPS = {
    "load": ("ingest__imported_package", "load_partner_package"),
    "metrics": ("compute_region_metrics",),
    "reports": ("reports__",),
}


def step(result: dict, name: str) -> float:
    """Seconds of a part of the run; "checks" is every step that is not load, metrics or reports."""
    steps = result["pipeline"]["steps"]
    if name == "checks":
        return sum(s for key, s in steps.items() if not any(key.startswith(p) for ps in STEPS.values() for p in ps))
    return sum(s for key, s in steps.items() if key.startswith(STEPS[name]))


def print_table(results: list[dict], baseline: dict) -> None:
    header = [
        "package",
        "transactions",
        "MB",
        "pipeline s",
        "load s",
        "checks s",
        "metrics s",
        "reports s",
        "peak RSS MB",
        "with workers MB",
        "script s",
        "script MB",
        "marginal ×",
        "pipeline CPU s",
        "script CPU s",
        "marginal CPU ×",
    ]
    lines = []
    for r in results:
        p, s = r["pipeline"], r["script"]
        marginal = (p["wall"] - baseline["pipeline"]["wall"]) / s["wall"] if r is not baseline else float("nan")
        marginal_cpu = (p["cpu"] - baseline["pipeline"]["cpu"]) / s["cpu"] if r is not baseline else float("nan")
        lines.append(
            [
                r["label"],
                f"{r['transactions']:,}",
                f"{r['mb']:,.1f}",
                f"{p['wall']:.1f}",
                f"{step(r, 'load'):.1f}",
                f"{step(r, 'checks'):.1f}",
                f"{step(r, 'metrics'):.1f}",
                f"{step(r, 'reports'):.1f}",
                f"{p['rss']:,.0f}",
                f"{p['tree_rss']:,.0f}",
                f"{s['wall']:.1f}",
                f"{s['rss']:,.0f}",
                "—" if r is baseline else f"{marginal:.2f}",
                f"{p['cpu']:.1f}",
                f"{s['cpu']:.1f}",
                "—" if r is baseline else f"{marginal_cpu:.2f}",
            ]
        )
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    for row in [header, *lines]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    scaled = [r for r in results if r["label"].startswith("N=")]
    for small, large in zip(scaled, scaled[1:], strict=False):
        factor = large["transactions"] / small["transactions"]
        steps = (step(large, "load") + step(large, "metrics")) / (step(small, "load") + step(small, "metrics"))
        print(
            f"{factor:.0f}× the rows ({small['label']} → {large['label']}): pipeline "
            f"{large['pipeline']['wall'] / small['pipeline']['wall']:.1f}× the time, load + metrics "
            f"{steps:.1f}× the time"
        )
    failed = [r["label"] for r in results if not r["pipeline"]["success"]]
    if failed:
        print(f"FAILED runs: {', '.join(failed)}")


def lake_catalogs(conninfo: str | None):
    """(throwaway server or None, label -> the DuckLake catalog of that run)."""
    if conninfo:
        return None, lambda label: conninfo
    sys.path.insert(0, str(ROOT / "tests"))
    from postgres_server import PostgresServer

    server = PostgresServer().start()
    os.environ["PGPASSWORD"] = server.password

    def catalog(label: str) -> str:
        name = "bench_" + "".join(c for c in label if c.isalnum()).lower()
        server.create_database(name)
        return f"host={server.host} port={server.port} user={server.user} dbname={name}"

    return server, catalog


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-pipeline":
        print(json.dumps(child_pipeline(sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-script":
        print(json.dumps(child_script(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--copies", type=int, default=0, help="also a package with every table scaled (0: none)")
    parser.add_argument("--no-reports", action="store_true", help="leave the PDFs out")
    parser.add_argument("--work", type=Path, help="where packages go (default: a temporary folder)")
    parser.add_argument(
        "--warehouse", choices=["duckdb", "ducklake"], default="duckdb", help="the DuckDB file (default) or DuckLake"
    )
    parser.add_argument(
        "--catalog",
        metavar="CONNINFO",
        help="ducklake: the catalog's PostgreSQL (default: a throwaway server, one database per run)",
    )
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="scale-", dir=args.work))
    reports = not args.no_reports
    server, catalog = lake_catalogs(args.catalog) if args.warehouse == "ducklake" else (None, None)
    try:
        print(f"sample: {SAMPLE} (warehouse: {args.warehouse})", flush=True)
        results = [measure("sample", SAMPLE, work, reports, catalog)]
        for n in args.sizes:
            started = time.perf_counter()
            package = transactions_package(work / f"n{n}", n)
            print(f"built N={n:,} in {time.perf_counter() - started:.1f} s; running…", flush=True)
            results.append(measure(f"N={n:,}", package, work, reports, catalog))
            shutil.rmtree(package)
        if args.copies:
            package = copies_package(work / "copies", args.copies)
            print(f"built --copies {args.copies}; running…", flush=True)
            results.append(measure(f"copies={args.copies}", package, work, reports, catalog))
        print()
        print_table(results, results[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
