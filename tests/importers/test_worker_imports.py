"""What an import worker process loads: the importers without Polars, DuckDB or Dagster
(each worker's forkserver imports them before the first file; pipelines/schema)."""

from __future__ import annotations

import subprocess
import sys

from pipelines.settings import PROJECT_ROOT


def test_the_importers_load_without_polars_duckdb_or_dagster():
    code = (
        "import sys, pipelines.importers.iati, pipelines.importers.iati_parallel; "
        "import pipelines.importers.threesixtygiving; "
        "print(sorted(m for m in ('polars', 'duckdb', 'dagster') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_declarations_still_give_polars_types():
    from pipelines.schema import MARTS

    column = next(c for table in MARTS for c in table.columns if c.type == "money")
    assert str(column.polars_type) == "Decimal(precision=18, scale=2)"
