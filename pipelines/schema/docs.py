"""The tables of docs/warehouse.md, written from the declarations.

The page is prose written by hand with two generated blocks, each between a start marker
naming its declaration and an end marker. `python -m pipelines.schema --write-docs`
rewrites the blocks; tests/test_schema_docs.py fails when the committed page differs from
what the declarations give.
"""

from __future__ import annotations

import re

from pipelines.schema import INPUTS, MARTS, Column

END = "<!-- end of generated tables -->"


def start(source: str) -> str:
    return f"<!-- generated from pipelines/schema/{source} by `python -m pipelines.schema --write-docs` -->"


def staging_tables() -> str:
    parts = []
    for table in INPUTS:
        key = ", ".join(f"`{k}`" for k in table.key)
        parts += [
            f"### `staging.{table.name}`",
            "",
            f"{table.description} Key: {key}.",
            "",
            "| column | type | rules | description |",
            "|---|---|---|---|",
        ]
        parts += [f"| `{c.name}` | {c.duckdb_type} | {_rules(c)} | {_cell(c.description)} |" for c in table.columns]
        parts.append("")
    return "\n".join(parts).rstrip()


def _rules(column: Column) -> str:
    if column.converts:
        dates = " else ".join(f"`{d}`" for d in column.rate_date)
        return f"added by the load: `{column.converts}` at the as-of rate of {dates}"
    rules = ["optional" if column.optional else "required"]
    if column.extension:
        rules.append("extension (not in the data contract)")
    if column.case == "upper" or column.type == "currency":
        rules.append("upper-cased")
    if column.type == "currency":
        rules.append("ISO 4217")
    if column.vocabulary:
        rules.append("one of " + ", ".join(f"`{v}`" for v in column.vocabulary))
    if column.references:
        rules.append(f"→ `{column.references[0]}.{column.references[1]}`")
    return ", ".join(rules)


def mart_tables() -> str:
    parts = []
    for table in MARTS:
        parts += [
            f"### `marts.{table.name}`: one row per {table.grain}",
            "",
            table.description,
            "",
            "| column | type | description |",
            "|---|---|---|",
        ]
        parts += [f"| `{c.name}` | {c.duckdb_type} | {_cell(c.description)} |" for c in table.columns]
        parts.append("")
    return "\n".join(parts).rstrip()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(page: str) -> str:
    """`page` with its generated blocks rewritten from the declarations."""
    for source, body in (("inputs.yml", staging_tables()), ("marts.yml", mart_tables())):
        pattern = re.compile(re.escape(start(source)) + r".*?" + re.escape(END), re.S)
        if not pattern.search(page):
            raise ValueError(f"docs/warehouse.md has no block for {source} ({start(source)} ... {END})")
        block = f"{start(source)}\n\n{body}\n\n{END}"
        page = pattern.sub(lambda _, block=block: block, page)
    return page
