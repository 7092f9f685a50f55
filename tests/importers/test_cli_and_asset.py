"""The `partner-reports import` command and the Dagster asset."""

from __future__ import annotations

import shutil

from dagster import materialize

from pipelines.cli import main
from pipelines.importers.assets import imported_package
from pipelines.importers.workspace import package_to_load
from pipelines.resources import PackageResource
from pipelines.warehouse import WarehouseResource
from tests.importers.sources import EXTERNAL, read_csv

CANADA = EXTERNAL / "iati" / "activities" / "v2" / "canada-activity.xml"
INDIGO = EXTERNAL / "threesixtygiving" / "grants" / "indigo-trust-2015.json"


def test_cli_imports_both_standards_into_one_package(tmp_path, capsys):
    out = tmp_path / "pkg"
    assert main(["import", "iati", str(CANADA), "--out", str(out), "--quiet"]) == 0
    assert main(["import", "360giving", str(INDIGO), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "269 activities/grants" in printed
    partners = {row["partner_id"] for row in read_csv(out / "partners.csv")}
    assert partners == {"CA", "360G-indigotrust"}
    assert len(read_csv(out / "agreements.csv")) == 3 + 269


def test_cli_errors_name_the_file_without_traceback(tmp_path, capsys):
    assert main(["import", "iati", str(tmp_path / "missing.xml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "missing.xml: no such file or folder" in err and "Traceback" not in err
    # one complete activity, then the file breaks off: the first is imported, the file reported
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<iati-activities><iati-activity default-currency="USD"><iati-identifier>A</iati-identifier>'
        '<reporting-org ref="R"/><transaction><transaction-type code="3"/>'
        '<transaction-date iso-date="2020-01-01"/><value>5</value></transaction></iati-activity>'
        "<iati-activity><broken"
    )
    assert main(["import", "iati", str(broken), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "broken.xml: not well-formed XML" in err and "Traceback" not in err
    assert [r["amount"] for r in read_csv(tmp_path / "o" / "transactions.csv")] == ["5.00"]
    assert read_csv(tmp_path / "o" / "rejects.csv")[0]["record"] == "file"


def test_unreadable_spreadsheet_is_a_clear_error(tmp_path, capsys):
    fake = tmp_path / "grants.xlsx"
    fake.write_text("not a zip")
    assert main(["import", "360giving", str(fake), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "grants.xlsx: cannot be read as 360Giving XLSX" in err and "Traceback" not in err
    assert not (tmp_path / "o" / ".import-tmp").exists()


def test_asset_imports_standard_subfolders_next_to_the_warehouse(tmp_path):
    data = tmp_path / "package"
    (data / "iati").mkdir(parents=True)
    (data / "360giving").mkdir()
    shutil.copy(CANADA, data / "iati")
    shutil.copy(INDIGO, data / "360giving")
    (data / "regions.csv").write_text("region_code,region_name\nAF,Africa (our name)\n")
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    result = materialize(
        [imported_package],
        resources={"package": PackageResource(data_dir=str(data)), "warehouse": WarehouseResource(path=str(warehouse))},
    )
    assert result.success
    # analysts see where the money went: canada's CAD commitment (2) counted as commitment
    reconciliation = (
        result.asset_materializations_for_node("ingest__imported_package")[0].metadata["iati_reconciliation"].value
    )
    assert "| CAD | 2 | 19,570,705.00 | 0.00 | 19,570,705.00 |" in reconciliation
    folder = package_to_load(data, warehouse)
    assert folder == tmp_path / "wh" / "imported"
    assert len(read_csv(folder / "agreements.csv")) == 3 + 269
    # the package's own table was copied first and wins over the bundled region names
    assert {"region_code": "AF", "region_name": "Africa (our name)"} in read_csv(folder / "regions.csv")


def test_package_without_standard_subfolders_is_loaded_as_it_is(tmp_path):
    assert package_to_load(tmp_path, tmp_path / "warehouse.duckdb") == tmp_path


def test_cli_prints_where_the_published_money_went(tmp_path, capsys):
    """Canada reports a commitment (2) and twelve disbursements (3) in CAD, as a donor:
    the commitment is counted as commitment, the disbursements as support, to the cent
    of the source (read independently); columns line up, right-aligned, however large."""
    from decimal import Decimal

    from tests.importers.sources import iati_source_sums

    assert main(["import", "iati", str(CANADA), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("  Where the published money went (import_summary.csv has it per file):")
    header, *body = lines[start + 1 : start + 4]
    assert header.split() == [
        "currency",
        "type",
        "published",
        "support",
        "commitment",
        "expenditure",
        "pass-through",
        "rejected",
        "unaccounted",
    ]
    source = iati_source_sums(CANADA, by=str)
    cells = {line.split()[1]: line.split() for line in body}
    assert cells["2"][2] == cells["2"][4] == f"{source[('CAD', '2')]:,.2f}"
    assert cells["3"][2] == cells["3"][3] == f"{source[('CAD', '3')]:,.2f}"
    assert source[("CAD", "3")] > Decimal(0)
    # right-aligned: every line ends its 'published' column at the same place
    ends = [line.index(cells[line.split()[1]][2]) + len(cells[line.split()[1]][2]) for line in body]
    assert len(set(ends)) == 1 and header.index("published") + len("published") == ends[0]


def test_output_piped_into_head_ends_without_a_traceback(tmp_path):
    """`partner-reports import … | head -1`: the reader is gone (here before the first
    line); the command stops quietly, without a traceback."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    command = [
        sys.executable,
        "-c",
        "import sys; from pipelines.cli import main; sys.exit(main())",
        "import",
        "iati",
        str(CANADA),
        "--out",
        str(tmp_path / "o"),
        "--quiet",
    ]
    done = subprocess.run(command, stdout=write_end, stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
