"""Crafted IATI, 360Giving JSON, CSV and XLSX files (issue 13): each import ends with a
clear line, within 30 s and 500 MB, never a traceback. Each runs `partner-reports import`
in its own process, which reports its peak memory."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The import command in a child process that prints its own peak RSS (kB) last on stderr.
# VmHWM, not ru_maxrss: on Linux ru_maxrss starts at the peak of the process that forked
# the child (here pytest, hundreds of MB into the suite).
RUNNER = (
    "import re, sys\n"
    "from pipelines.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
    "print(f'PEAK_KB={peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)
LIMIT_KB = 500_000


def run_import(standard: str, source: Path, out: Path) -> tuple[int, str, list[str]]:
    """(exit status, last line on stderr before the peak, stderr lines)."""
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, "import", standard, str(source), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=ROOT,
    )
    lines = proc.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("PEAK_KB="), proc.stderr
    assert int(lines[-1].removeprefix("PEAK_KB=")) < LIMIT_KB, lines[-1]
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, (lines[-2] if len(lines) > 1 else ""), lines[:-1]


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def grant(**changes) -> dict:
    base = {
        "id": "G-1",
        "title": "Library books",
        "currency": "GBP",
        "amountAwarded": 1000,
        "awardDate": "2020-01-01",
        "fundingOrganization": [{"id": "GB-CHC-1", "name": "Dale Fund"}],
        "recipientOrganization": [{"id": "GB-CHC-2", "name": "Reader"}],
        "beneficiaryLocation": [{"countryCode": "GB"}],
    }
    return {**base, **changes}


# --- 360Giving JSON ------------------------------------------------------------------------


def test_json_nested_100000_deep_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"grants": [{"id": "G-1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}]}")
    code, line, _ = run_import("360giving", path, tmp_path / "out")
    assert code == 2
    assert line == f"partner-reports import: error: {path}: grants[0] is nested deeper than 32 levels; refused"
    assert not (tmp_path / "out" / "agreements.csv").exists()


@pytest.mark.parametrize("amount", ["1e30", "12345678901234567890123456789"])
def test_json_amounts_too_large_are_rejects_with_their_path(tmp_path, amount):
    path = tmp_path / "grants.json"
    path.write_text(
        '{"grants": ['
        + json.dumps(grant(id="G-0"))[:-1]
        + ', "amountAwarded": 0}, '
        + json.dumps(grant(id="G-1")).replace('"amountAwarded": 1000', f'"amountAwarded": {amount}')
        + "]}"
    )
    code, _, _ = run_import("360giving", path, tmp_path / "out")
    assert code == 0
    [reject] = read_csv(tmp_path / "out" / "rejects.csv")
    assert reject["path"] == "grants[1] G-1"
    assert reject["reason"].startswith("amountAwarded: value ") and "too large" in reject["reason"]


def test_a_json_file_that_is_not_json_is_one_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"grants": [{"id": "G-1", "amountAwarded": 1e}]}')
    code, line, _ = run_import("360giving", path, tmp_path / "out")
    assert code == 2 and line.startswith(f"partner-reports import: error: {path}: cannot be read as 360Giving JSON")


# --- IATI -------------------------------------------------------------------------------------


def iati(body: str) -> str:
    return (
        '<iati-activities version="2.03"><iati-activity default-currency="USD"><iati-identifier>XX-1</iati-identifier>'
        '<reporting-org ref="XX-REP" type="21"><narrative>Reporter</narrative></reporting-org>'
        f'<title><narrative>Project</narrative></title><recipient-country code="KE"/>{body}'
        "</iati-activity></iati-activities>"
    )


def tx(code: str, value: str, extra: str = "") -> str:
    return (
        f'<transaction><transaction-type code="{code}"/><transaction-date iso-date="2020-03-01"/>'
        f"<value>{value}</value>{extra}</transaction>"
    )


def test_iati_values_too_large_are_rejects_with_their_path(tmp_path):
    path = tmp_path / "big.xml"
    path.write_text(iati(tx("3", "1e30") + tx("3", "12345678901234567890123456789") + tx("3", "100")))
    code, _, _ = run_import("iati", path, tmp_path / "out")
    assert code == 0
    rejects = read_csv(tmp_path / "out" / "rejects.csv")
    assert [r["path"] for r in rejects] == [
        "iati-activity[1] XX-1/transaction[1]",
        "iati-activity[1] XX-1/transaction[2]",
    ]
    assert all("too large" in r["reason"] for r in rejects)
    assert [r["amount"] for r in read_csv(tmp_path / "out" / "transactions.csv")] == ["100.00"]


def test_an_iati_text_node_of_20_mb_is_refused(tmp_path):
    path = tmp_path / "huge.xml"
    with path.open("w") as f:
        f.write(
            '<iati-activities version="2.03"><iati-activity><iati-identifier>XX-1</iati-identifier><description>'
            "<narrative>"
        )
        for _ in range(20):
            f.write("x" * (1 << 20))
        f.write("</narrative></description></iati-activity></iati-activities>")
    code, line, _ = run_import("iati", path, tmp_path / "out")
    assert code == 1
    assert "longer than 8,388,608 bytes; refused" in line and line.startswith("error: ")
    rejects = read_csv(tmp_path / "out" / "rejects.csv")
    assert rejects[0]["record"] == "file"


# --- XLSX -------------------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def write_book(path: Path, sheet_data: str, shared: list[str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="Grants" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        if shared is not None:
            book.writestr(
                "xl/sharedStrings.xml",
                f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>{s}</t></si>" for s in shared) + "</sst>",
            )
        book.writestr(
            "xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>'
        )
    return path


def inline(ref: str | None, text: str) -> str:
    r = f' r="{ref}"' if ref else ""
    return f'<c{r} t="inlineStr"><is><t>{text}</t></is></c>'


HEADER = [
    "Identifier",
    "Currency",
    "Amount Awarded",
    "Award Date",
    "Funding Org:Identifier",
    "Funding Org:Name",
    "Beneficiary Location:Country Code",
]
VALUES = ["G-1", "GBP", "500", "2020-01-01", "GB-CHC-1", "Dale Fund", "GB"]


def test_xlsx_cells_without_a_reference_take_the_next_column(tmp_path):
    rows = (
        "<row>"
        + "".join(inline(None, h) for h in HEADER)
        + "</row>"
        + "<row>"
        + "".join(inline(None, v) for v in VALUES)
        + "</row>"
    )
    code, _, _ = run_import("360giving", write_book(tmp_path / "g.xlsx", rows), tmp_path / "out")
    assert code == 0
    [agreement] = read_csv(tmp_path / "out" / "agreements.csv")
    assert (agreement["agreement_id"], agreement["committed_amount"]) == ("G-1~EU", "500.00")


def test_xlsx_shared_string_index_out_of_range(tmp_path):
    rows = (
        '<row r="1">' + "".join(inline(None, h) for h in HEADER) + "</row>"
        '<row r="2"><c r="A2" t="s"><v>99</v></c></row>'
    )
    path = write_book(tmp_path / "g.xlsx", rows, shared=["one", "two", "three"])
    code, line, _ = run_import("360giving", path, tmp_path / "out")
    assert code == 2
    assert line == (
        f"partner-reports import: error: {path}, row 2, cell A2: shared string '99' does not exist (the file has 3)"
    )


def test_xlsx_cell_reference_beyond_xfd_is_refused_quickly(tmp_path):
    """The 985-byte file whose ZZZZZZZ2 once took 7.7 GB."""
    rows = (
        '<row r="1">'
        + "".join(inline(None, h) for h in HEADER)
        + '</row><row r="2">'
        + inline("ZZZZZZZ2", "x")
        + "</row>"
    )
    path = write_book(tmp_path / "g.xlsx", rows)
    assert path.stat().st_size < 2000
    code, line, _ = run_import("360giving", path, tmp_path / "out")
    assert code == 2
    assert (
        line == f"partner-reports import: error: {path}, row 2: cell reference 'ZZZZZZZ2' is not within A1:XFD1048576"
    )


def test_xlsx_expanding_to_a_huge_text_node_is_refused(tmp_path):
    """A few hundred kB on disk, 300 MB expanded into one text node: stopped at 8 MiB."""
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="G" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'.encode())
            block = b"A" * (1 << 20)
            for _ in range(300):
                sheet.write(block)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    assert path.stat().st_size < 1_000_000
    code, line, _ = run_import("360giving", path, tmp_path / "out")
    assert code == 2
    assert "longer than 8,388,608 bytes; refused" in line


def test_xlsx_sheet_that_expands_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    """Many small rows: the expanded-size limit (256 MiB; here lowered to 64 kB) stops it."""
    from pipelines.importers import xlsx
    from pipelines.importers.limits import InputLimit

    monkeypatch.setattr(xlsx, "MAX_XLSX_SHEET_BYTES", 64_000)
    rows = '<row r="1">' + "".join(inline(None, h) for h in HEADER) + "</row>"
    rows += "".join(f'<row r="{n}">' + inline(f"A{n}", f"G-{n}") + "</row>" for n in range(2, 5000))
    _, iterator = xlsx.read_rows(write_book(tmp_path / "g.xlsx", rows))
    with pytest.raises(InputLimit, match="expands to more than 64,000 bytes"):
        for _ in iterator:
            pass


# --- CSV --------------------------------------------------------------------------------------


def test_a_100000_column_360giving_header_is_refused_quickly(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(HEADER + [f"Extra {i}" for i in range(100_000)]) + "\n" + ",".join(VALUES) + "\n")
    code, line, _ = run_import("360giving", path, tmp_path / "out")
    assert code == 2
    assert line == f"partner-reports import: error: {path}: the header has 100,007 columns; at most 16,384 are read"


def test_a_list_index_of_a_million_in_a_title_is_ignored(tmp_path):
    path = tmp_path / "index.csv"
    path.write_text(
        ",".join(HEADER + ["Beneficiary Location:1000000:Name"]) + "\n" + ",".join(VALUES + ["Kenya"]) + "\n"
    )
    code, _, _ = run_import("360giving", path, tmp_path / "out")
    assert code == 0
    assert len(read_csv(tmp_path / "out" / "agreements.csv")) == 1


# --- formula injection ------------------------------------------------------------------------

FORMULA = '=HYPERLINK("HTTP://X","CUR")'


def test_formulas_from_iati_are_neutralised_and_numbers_kept(tmp_path):
    path = tmp_path / "formula.xml"
    body = tx("1", "-50.00", '<provider-org ref="@SUM(1)"><narrative>+cmd</narrative></provider-org>') + tx(
        "3", "abc" + FORMULA
    )
    path.write_text(
        iati(body).replace("<narrative>Project</narrative>", f"<narrative>{FORMULA.replace('&', '&amp;')}</narrative>")
    )
    code, _, _ = run_import("iati", path, tmp_path / "out")
    assert code == 0
    out = tmp_path / "out"
    [income] = read_csv(out / "transactions.csv")
    assert income["amount"] == "-50.00"  # a plain number stays a number
    [agreement] = read_csv(out / "agreements.csv")
    assert agreement["title"] == "'" + FORMULA
    assert agreement["partner_id"].startswith("'@")
    partners = read_csv(out / "partners.csv")
    assert [p["name"] for p in partners] == ["'+cmd"] and income["agreement_id"] == agreement["agreement_id"]
    for name in ("rejects", "import_notes", "import_summary", "pass_through", "agreements", "transactions", "partners"):
        with (out / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
                    assert not cell.startswith("-") or cell[1:].replace(".", "").isdigit(), (name, cell)


def test_formulas_from_360giving_are_neutralised(tmp_path):
    path = tmp_path / "grants.json"
    path.write_text(
        json.dumps(
            {
                "grants": [
                    grant(title=FORMULA, fundingOrganization=[{"id": "GB-CHC-1", "name": "@SUM(A1)"}]),
                    grant(id="-G-2", currency="XYZ"),
                ]
            }
        )
    )
    code, _, _ = run_import("360giving", path, tmp_path / "out")
    assert code == 0
    [agreement] = read_csv(tmp_path / "out" / "agreements.csv")
    assert agreement["title"] == "'" + FORMULA
    assert [p["name"] for p in read_csv(tmp_path / "out" / "partners.csv")] == ["'@SUM(A1)"]
    [reject] = read_csv(tmp_path / "out" / "rejects.csv")
    assert reject["path"] == "'grants[1] -G-2" or reject["path"] == "grants[1] -G-2"


LAUGHS = "\n".join(
    [f' <!ENTITY e0 "{"x" * 10}">'] + [f' <!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10)]
)  # &e9; would be 10^10 characters


@pytest.mark.parametrize("workers", [1, 2])
def test_iati_entities_are_neither_expanded_nor_fetched(tmp_path, workers):
    """A billion laughs and an external entity naming a local file: neither is expanded or
    read (expat refuses the first, and the second is an undefined entity); each file is one
    reject line, and the valid file beside them is imported. One file after another and by
    worker processes, which read small files their own way."""
    from pipelines.importers.iati import import_iati

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT-42")
    folder = tmp_path / "in"
    folder.mkdir()
    body = (
        iati(tx("3", "100"))
        .replace("XX-1", "{}")
        .replace("<narrative>Project</narrative>", "<narrative>{}</narrative>")
    )
    (folder / "a-laughs.xml").write_text(
        f"<?xml version='1.0'?>\n<!DOCTYPE iati-activities [\n{LAUGHS}\n]>\n" + body.format("LAUGHS-1", "&e9;")
    )
    (folder / "b-external.xml").write_text(
        f"<?xml version='1.0'?>\n<!DOCTYPE iati-activities [ <!ENTITY x SYSTEM '{secret.as_uri()}'> ]>\n"
        + body.format("EXTERNAL-1", "&x;")
    )
    (folder / "c-valid.xml").write_text(body.format("VALID-1", "Library books"))
    out = tmp_path / "out"
    summary = import_iati([folder], out, workers=workers)
    assert summary.activities == 1
    reasons = [e.split(": ", 1)[1] for e in summary.errors]
    assert len(reasons) == 2
    assert reasons[0].startswith("not well-formed XML (limit on input amplification factor (from DTD and entities)")
    assert reasons[1].startswith("not well-formed XML (undefined entity &x;: line 3")
    assert [r["record"] for r in read_csv(out / "rejects.csv")] == ["file", "file"]
    assert [r["source_id"] for r in read_csv(out / "agreements.csv")] == ["VALID-1"]
    written = "".join(p.read_text() for p in out.glob("*.csv"))
    assert "SECRET-CONTENT" not in written and "xxxxxxxxxx" not in written
