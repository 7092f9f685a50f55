"""A missing required column is reported on one line even when a header name holds a line
break (a case the corrupted-sample property test drew)."""

import duckdb
import pytest
from package_fixture import write_package

from pipelines.ingest.load import load_package
from pipelines.ingest.read import PackageError


def test_missing_column_message_shows_a_line_break_in_a_header_name_escaped(tmp_path):
    folder = write_package(tmp_path / "package")
    (folder / "regions.csv").write_text('"\n",region_name\nEU,Europe\n', encoding="utf-8")
    with pytest.raises(PackageError) as caught:
        load_package(folder, duckdb.connect())
    assert str(caught.value) == (
        f"{folder / 'regions.csv'}: required column 'region_code' is missing (the header has: \\n, region_name)"
    )
