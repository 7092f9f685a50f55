"""docs/warehouse.md shows what the declarations say: its generated tables are current, and
`python -m pipelines.schema` rewrites them and prints a staging query as the load runs it."""

import dataclasses
import subprocess
import sys

import duckdb

from pipelines.schema import INPUTS, docs
from pipelines.schema.__main__ import WAREHOUSE_DOC
from pipelines.schema.staging_sql import PLACEHOLDER
from pipelines.settings import SQL_DIR


def test_the_committed_warehouse_doc_is_current():
    page = WAREHOUSE_DOC.read_text(encoding="utf-8")
    assert docs.render(page) == page, "docs/warehouse.md is out of date: run python -m pipelines.schema --write-docs"


def test_a_changed_declaration_changes_the_doc(monkeypatch):
    changed = dataclasses.replace(INPUTS[0], description="Offices, renamed.")
    monkeypatch.setattr(docs, "INPUTS", (changed, *INPUTS[1:]))
    page = WAREHOUSE_DOC.read_text(encoding="utf-8")
    rendered = docs.render(page)
    assert "Offices, renamed. Key: `region_code`." in rendered and "Offices, renamed." not in page
    # only the generated block changes: the prose around it stays
    assert rendered.split("<!-- generated from")[0] == page.split("<!-- generated from")[0]


def test_show_sql_prints_a_query_duckdb_can_plan():
    out = subprocess.run(
        [sys.executable, "-m", "pipelines.schema", "--show-sql", "transactions"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not PLACEHOLDER.search(out) and "ASOF LEFT JOIN fx" in out and "to_reporting(wide) AS amount_eur" in out
    conn = duckdb.connect()
    conn.execute((SQL_DIR / "staging" / "_macros.sql").read_text())
    columns = ", ".join(
        f"NULL::VARCHAR AS {c}"
        for c in (
            "transaction_id",
            "agreement_id",
            "transaction_date",
            "transaction_type",
            "amount",
            "currency",
            "value_date",
        )
    )
    conn.execute(
        f"CREATE TEMP VIEW src AS SELECT 2 AS _line, false AS _blank, NULL::STRUCT(rule VARCHAR, "
        f"message VARCHAR) AS _control, {columns}"
    )
    conn.execute(
        "CREATE SCHEMA staging; CREATE TABLE staging.agreements (agreement_id VARCHAR); "
        "CREATE TEMP TABLE currencies (code VARCHAR); "
        "CREATE TEMP VIEW fx AS SELECT 'EUR' AS currency, DATE '0001-01-01' AS rate_date, "
        "1::DECIMAL(24, 12) AS eur_per_unit; SET VARIABLE reporting_currency = 'EUR'"
    )
    assert conn.execute(f"SELECT count(*) FROM ({out})").fetchone() == (1,)
