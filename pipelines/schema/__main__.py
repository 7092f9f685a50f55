"""python -m pipelines.schema --show-sql TABLE | --write-docs

--show-sql TABLE  print the staging query of an input table as the load runs it (its template
                  sql/staging/TABLE.sql with the generated parts filled in)
--write-docs      rewrite the generated tables of docs/warehouse.md from the declarations
"""

import argparse
import sys

from pipelines.schema import INPUTS, input_table
from pipelines.schema.docs import render
from pipelines.schema.staging_sql import staging_query
from pipelines.settings import PROJECT_ROOT, SQL_DIR

WAREHOUSE_DOC = PROJECT_ROOT / "docs" / "warehouse.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.schema", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--show-sql", metavar="TABLE", choices=[t.name for t in INPUTS],
                       help="print the staging query of TABLE as the load runs it")
    group.add_argument("--write-docs", action="store_true",
                       help=f"rewrite the generated tables of {WAREHOUSE_DOC.name} from the declarations")
    args = parser.parse_args(argv)
    if args.show_sql:
        template = (SQL_DIR / "staging" / f"{args.show_sql}.sql").read_text(encoding="utf-8")
        print(staging_query(input_table(args.show_sql), template))
    else:
        try:
            page = render(WAREHOUSE_DOC.read_text(encoding="utf-8"))
        except ValueError as err:  # the page lost a marker of its generated blocks
            print(f"python -m pipelines.schema: {err}", file=sys.stderr)
            return 2
        WAREHOUSE_DOC.write_text(page, encoding="utf-8")
        print(f"wrote {WAREHOUSE_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
