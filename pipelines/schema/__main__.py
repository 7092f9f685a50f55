"""python -m pipelines.schema --show-sql TABLE | --write-sql FOLDER | --write-docs

--show-sql TABLE  print the staging query of an input table as the load runs it (its template
                  sql/staging/TABLE.sql with the generated parts filled in)
--write-sql DIR   write every staging query as it runs into DIR (what `make lint` checks with
                  sqlfluff: the templates alone are not SQL until their parts are filled in)
--write-docs      rewrite the generated tables of docs/warehouse.md from the declarations
"""

import argparse
import sys
from pathlib import Path

from pipelines.schema import INPUTS, input_table
from pipelines.schema.docs import render
from pipelines.schema.staging_sql import staging_query
from pipelines.settings import PROJECT_ROOT, SQL_DIR

WAREHOUSE_DOC = PROJECT_ROOT / "docs" / "warehouse.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.schema", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--show-sql",
        metavar="TABLE",
        choices=[t.name for t in INPUTS],
        help="print the staging query of TABLE as the load runs it",
    )
    group.add_argument(
        "--write-sql", metavar="DIR", type=Path, help="write every staging query as the load runs it into DIR"
    )
    group.add_argument(
        "--write-docs",
        action="store_true",
        help=f"rewrite the generated tables of {WAREHOUSE_DOC.name} from the declarations",
    )
    args = parser.parse_args(argv)
    if args.show_sql:
        print(_query(args.show_sql))
    elif args.write_sql:
        args.write_sql.mkdir(parents=True, exist_ok=True)
        for table in INPUTS:
            (args.write_sql / f"{table.name}.sql").write_text(_query(table.name) + "\n", encoding="utf-8")
        print(f"wrote {len(INPUTS)} staging queries to {args.write_sql}")
    else:
        try:
            page = render(WAREHOUSE_DOC.read_text(encoding="utf-8"))
        except ValueError as err:  # the page lost a marker of its generated blocks
            print(f"python -m pipelines.schema: {err}", file=sys.stderr)
            return 2
        WAREHOUSE_DOC.write_text(page, encoding="utf-8")
        print(f"wrote {WAREHOUSE_DOC}")
    return 0


def _query(table: str) -> str:
    template = (SQL_DIR / "staging" / f"{table}.sql").read_text(encoding="utf-8")
    return staging_query(input_table(table), template)


if __name__ == "__main__":
    sys.exit(main())
