"""The declaration of the input tables (pipelines/schema/inputs.yml) is what the load does:
every rule it states rejects a row with the contract's message, the staging tables have
its types, and every template places every generated part (a vocabulary or reference
added to the declaration cannot go unchecked because a template forgot it)."""

import re

import duckdb
import pytest
from package_fixture import VALID_ROWS

from pipelines.ingest.load import STAGING_SQL, load_package
from pipelines.schema import INPUTS
from pipelines.schema.staging_sql import PLACEHOLDER, fragments

NOT_A = {  # type -> (a value that does not parse, rule, what the message says it is not)
    "date": ("not-a-date", "bad_date", "a date YYYY-MM-DD"),
    "money": ("1,5", "bad_amount", "a decimal number with at most 2 decimals"),
    "rate": ("abc", "bad_number", "a positive decimal number"),
    "bigint": ("2.5", "bad_number", "a whole number"),
    "double": ("abc", "bad_number", "a number"),
}


def declared_cases(table) -> list[tuple[str, str, str, str]]:
    """(column, value, rule, message) for every rule the declaration states for one column."""
    cases = []
    for c in table.columns:
        if c.converts:
            continue
        if not c.optional:
            cases.append((c.name, "", "missing_value", f"{c.name} is empty"))
        if c.type in NOT_A:
            value, rule, what = NOT_A[c.type]
            cases.append((c.name, value, rule, f"{c.name} '{value}' is not {what}"))
        if c.vocabulary:
            allowed = ", ".join(c.vocabulary)
            cases.append((c.name, "zzz", "not_in_vocabulary", f"{c.name} 'zzz' is not one of {allowed}"))
        if c.references and c.references[0] != table.name:
            cases.append((c.name, "NOPE", "foreign_key", f"{c.name} 'NOPE' is not in {c.references[0]}"))
        if c.type == "currency":
            cases.append((c.name, "XYZ", "unknown_currency", f"{c.name} 'XYZ' is not an ISO 4217 code"))
    return cases


def row_with_new_key(table, i: int) -> dict:
    """The table's valid row under a key no other row has."""
    row = dict(VALID_ROWS[table.name][0])
    if table.name == "fx_rates":
        row["rate_date"] = f"2024-{i // 28 + 1:02d}-{i % 28 + 1:02d}"
    else:
        (key,) = table.key
        row[key] = {"regions": f"R{i}", "countries": f"Q{chr(65 + i)}"}.get(table.name, f"K{i}")
    return row


@pytest.mark.parametrize("table", INPUTS, ids=lambda t: t.name)
def test_every_declared_rule_rejects_a_row_with_its_message(table, package):
    cases = declared_cases(table)
    rows = []
    for i, (column, value, _, _) in enumerate(cases):
        row = row_with_new_key(table, i)
        row[column] = value
        rows.append(row)
    conn = duckdb.connect()
    load_package(package(extra={table.name: rows}), conn)
    rejects = conn.execute(
        "SELECT line, rule, message FROM audit.rejects WHERE source = ? ORDER BY line", [table.name]
    ).fetchall()
    # line 1 is the header, line 2 the valid row, the cases follow
    assert rejects == [(3 + i, rule, message) for i, (_, _, rule, message) in enumerate(cases)]
    assert conn.execute(f"SELECT count(*) FROM staging.{table.name}").fetchone()[0] == 1


def test_the_staging_tables_have_the_declared_columns_and_types(package):
    conn = duckdb.connect()
    load_package(package(), conn)
    for table in INPUTS:
        described = [(r[0], r[1]) for r in conn.execute(f"DESCRIBE staging.{table.name}").fetchall()]
        assert described == [(c.name, c.duckdb_type) for c in table.columns], table.name


@pytest.mark.parametrize("table", INPUTS, ids=lambda t: t.name)
def test_every_template_places_every_generated_part_once(table):
    template = (STAGING_SQL / f"{table.name}.sql").read_text()
    placed = PLACEHOLDER.findall(template)
    needed = [name for name, sql in fragments(table).items() if sql]
    assert sorted(n for n in placed if n in needed) == sorted(needed), table.name
    assert len(placed) == len(set(placed)), table.name
    # a money table converts: the template reads the `converted` CTE that the as-of part makes
    converts = any(c.converts for c in table.columns)
    assert bool(re.search(r"^FROM converted$", template, re.M)) == converts, table.name
