"""Asset checks on the loaded tables. Each re-verifies, independently of the load's own
SQL, a promise the warehouse makes: nothing lost, every reference resolves, every
amount converted."""

from dagster import AssetCheckResult, AssetCheckSeverity, asset_check

from pipelines.ingest.assets import LOAD_SUMMARY, staging_key
from pipelines.ingest.contract import TABLES
from pipelines.resources import PackageResource
from pipelines.schema import INPUTS
from pipelines.warehouse import WarehouseResource

# (child table, column, parent table, parent column), from the declaration
# (pipelines/schema/inputs.yml, `references`); empty child values are allowed.
FOREIGN_KEYS = tuple((t.name, c.name, *c.references) for t in INPUTS for c in t.columns if c.references)

# (table, original amount column, converted column), from the declaration (`converts`).
CONVERTED_AMOUNTS = tuple((t.name, c.converts, c.name) for t in INPUTS for c in t.columns if c.converts)


@asset_check(
    asset=LOAD_SUMMARY,
    blocking=True,
    description="Every input row is accounted for: rows read = rows loaded + rows rejected, per table.",
)
def every_row_accounted_for(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.get_connection(read_only=True) as conn:
        summary = conn.execute("SELECT source, rows_read FROM audit.load_summary ORDER BY source").fetchall()
        rows = []
        for source, rows_read in summary:
            loaded = conn.execute(f"SELECT count(*) FROM staging.{source}").fetchone()[0]
            rejected = conn.execute("SELECT count(*) FROM audit.rejects WHERE source = ?", [source]).fetchone()[0]
            rows.append((source, rows_read, loaded, rejected))
    unbalanced = [r for r in rows if r[1] != r[2] + r[3]]
    missing = sorted({t.name for t in TABLES} - {r[0] for r in rows})
    failing = [f"{t}: {read} read, {loaded} loaded, {rejected} rejected" for t, read, loaded, rejected in unbalanced]
    failing += [f"{t}: not in audit.load_summary" for t in missing]
    return AssetCheckResult(
        passed=not unbalanced and not missing,
        metadata={
            "failing_rows": "; ".join(failing) or "none",
            "tables": len(rows),
            "rows_read": sum(r[1] for r in rows),
            "rows_loaded": sum(r[2] for r in rows),
            "rows_rejected": sum(r[3] for r in rows),
            "unbalanced_tables": ", ".join(r[0] for r in unbalanced) or "none",
            "tables_missing_from_summary": ", ".join(missing) or "none",
        },
    )


def _mostly_loaded_check(table: str):
    """A load where every row of a table is rejected (a wrong setting, a file from another
    export) would otherwise pass every other check and give empty reports. On each staging
    table, so that the metrics built from it wait too."""

    @asset_check(
        asset=staging_key(table),
        name="rows_mostly_loaded",
        blocking=True,
        description=f"{table} loaded some of its input rows and rejected at most MAX_REJECTED_SHARE "
        "of them (default 50 %); a file without rows passes.",
    )
    def check(warehouse: WarehouseResource, package: PackageResource) -> AssetCheckResult:
        share = package.max_rejected_share
        with warehouse.get_connection(read_only=True) as conn:
            read, loaded, rejected = conn.execute(
                "SELECT rows_read, rows_loaded, rows_rejected FROM audit.load_summary WHERE source = ?", [table]
            ).fetchone()
            top = conn.execute(
                "SELECT rule, count(*) FROM audit.rejects WHERE source = ? GROUP BY rule "
                "ORDER BY count(*) DESC, rule LIMIT 1",
                [table],
            ).fetchone()
        failed = read > 0 and (loaded == 0 or rejected > share * read)
        most = f"{top[0]} × {top[1]:,}" if top else "none"
        return AssetCheckResult(
            passed=not failed,
            description=f"{table}: {loaded:,} of {read:,} rows loaded, {rejected:,} rejected, most often "
            f"{most} (MAX_REJECTED_SHARE {share:g}; rows and rules in audit.rejects)"
            if failed
            else f"{table}: {loaded:,} of {read:,} rows loaded, {rejected:,} rejected.",
            metadata={
                "rows_read": read,
                "rows_loaded": loaded,
                "rows_rejected": rejected,
                "max_rejected_share": share,
                "most_common_rule": most,
            },
        )

    return check


def _foreign_key_check(table: str):
    keys = [fk for fk in FOREIGN_KEYS if fk[0] == table]

    @asset_check(
        asset=staging_key(table),
        name="foreign_keys_resolve",
        blocking=True,
        description=f"Every reference in {table} ({', '.join(k[1] for k in keys)}) names a loaded row.",
    )
    def check(warehouse: WarehouseResource) -> AssetCheckResult:
        dangling, examples = {}, []
        with warehouse.get_connection(read_only=True) as conn:
            for _, column, parent, parent_column in keys:
                found = (
                    f"FROM staging.{table} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM staging.{parent} p WHERE p.{parent_column} = c.{column})"
                )
                dangling[column] = conn.execute(f"SELECT count(*) {found}").fetchone()[0]
                if dangling[column]:
                    values = [
                        v for (v,) in conn.execute(f"SELECT DISTINCT c.{column} {found} ORDER BY 1 LIMIT 5").fetchall()
                    ]
                    examples.append(
                        f"{dangling[column]} rows with {column} not in {parent} ({', '.join(map(str, values))})"
                    )
        return AssetCheckResult(
            passed=not any(dangling.values()),
            metadata={
                "failing_rows": "; ".join(examples) or "none",
                **{f"dangling_{column}": n for column, n in dangling.items()},
            },
        )

    return check


def _conversion_check(table: str, amount: str, converted: str):
    @asset_check(
        asset=staging_key(table),
        name="amounts_converted",
        blocking=True,
        description=f"Every {table}.{amount} has a rate and a converted {converted}.",
    )
    def check(warehouse: WarehouseResource) -> AssetCheckResult:
        key = next(t.columns[0] for t in TABLES if t.name == table)  # the key column
        with warehouse.get_connection(read_only=True) as conn:
            total, unconverted = conn.execute(
                f"SELECT count(*), count(*) FILTER ({converted} IS NULL OR {amount} IS NULL) FROM staging.{table}"
            ).fetchone()
            keys = [
                k
                for (k,) in conn.execute(
                    f"SELECT {key} FROM staging.{table} WHERE {converted} IS NULL "
                    f"OR {amount} IS NULL ORDER BY 1 LIMIT 5"
                ).fetchall()
            ]
        return AssetCheckResult(
            passed=unconverted == 0,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows": total,
                "rows_without_converted_amount": unconverted,
                "failing_rows": f"{unconverted} rows without {converted} ({', '.join(keys)})" if keys else "none",
            },
        )

    return check


foreign_key_checks = [_foreign_key_check(t) for t in dict.fromkeys(fk[0] for fk in FOREIGN_KEYS)]
conversion_checks = [_conversion_check(*c) for c in CONVERTED_AMOUNTS]
mostly_loaded_checks = [_mostly_loaded_check(t.name) for t in TABLES]
