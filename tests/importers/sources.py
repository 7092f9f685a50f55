"""Independent reads of the source files and of a written package, for the tests.

Deliberately plain: the whole file is parsed at once (ElementTree / json), without any
code from pipelines.importers, so the money sums are worked out a second way.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

# Copies of ../shared/external's real files, so the tests run from any clone (tests/external/README.md)
EXTERNAL = Path(__file__).resolve().parents[1] / "external"
IATI_FILES = sorted((EXTERNAL / "iati" / "activities").rglob("*.xml"))
GIVING_FILES = sorted((EXTERNAL / "threesixtygiving" / "grants").iterdir())
COMMITMENT_CODES = {"2", "11", "C"}


def _name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _number(text: str | None) -> Decimal | None:
    try:
        return Decimal(text.strip()) if text and text.strip() else None
    except InvalidOperation:
        return None


def group(code: str) -> str:
    """Commitments of all codes sum into one agreement, so they are compared together."""
    return "commitment" if code in COMMITMENT_CODES else code


def iati_source_sums(path: Path, by=group) -> dict[tuple[str, str], Decimal]:
    """(currency, transaction-type group) -> sum of every parseable transaction value;
    `by=str` keeps each code apart."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for activity in ET.parse(path).getroot().iter():
        if _name(activity.tag) != "iati-activity":
            continue
        default = (activity.get("default-currency") or "").strip().upper()
        for tx in activity:
            if _name(tx.tag) != "transaction":
                continue
            children = {_name(c.tag): c for c in tx}
            value = children.get("value")
            amount = _number(value.text if value is not None else None)
            if amount is None:
                continue
            currency = (value.get("currency") or "").strip().upper() or default
            type_el = children.get("transaction-type")
            code = (type_el.get("code") or "").strip().upper() if type_el is not None else ""
            sums[(currency, by(code))] += amount
    return dict(sums)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def iati_package_sums(out: Path) -> dict[tuple[str, str], Decimal]:
    """The same sums from the package (agreements, transactions, expenditures, pass-through) + rejects."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in read_csv(out / "agreements.csv"):
        sums[(row["currency"], "commitment")] += Decimal(row["committed_amount"])
    for table in ("transactions", "expenditures", "pass_through"):
        for row in read_csv(out / f"{table}.csv"):
            sums[(row["currency"], group(row["source_type"]))] += Decimal(row["amount"])
    for row in read_csv(out / "rejects.csv"):
        if row["amount"]:
            sums[(row["currency"], group(row["source_type"]))] += Decimal(row["amount"])
    return dict(sums)


def giving_source_sums(path: Path) -> dict[tuple[str, str], Decimal]:
    """(currency, amountAwarded|amountDisbursed) -> sum over the file's grants."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for grant in _grants(path):
        for key in ("amountAwarded", "amountDisbursed"):
            if grant.get(key) not in (None, ""):
                sums[(grant["currency"], key)] += Decimal(str(grant[key]))
    return dict(sums)


def _grants(path: Path) -> list[dict]:
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)["grants"]
    # .xlsx: shared strings + first sheet; numbers are doubles, written as typed (repr)
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    book = zipfile.ZipFile(path)
    strings = [
        "".join(t.text or "" for t in si.iter(ns + "t"))
        for si in ET.fromstring(book.read("xl/sharedStrings.xml")).iter(ns + "si")
    ]
    rows = []
    for row in ET.fromstring(book.read("xl/worksheets/sheet1.xml")).iter(ns + "row"):
        cells = {}
        for c in row.iter(ns + "c"):
            v = c.find(ns + "v")
            text = "" if v is None else (strings[int(v.text)] if c.get("t") == "s" else v.text)
            cells["".join(ch for ch in c.get("r") if ch.isalpha())] = text
        rows.append(cells)
    header = {col: title for col, title in rows[0].items()}
    grants = []
    for cells in rows[1:]:
        named = {header[col]: text for col, text in cells.items() if col in header}
        amount = named.get("Amount Awarded")
        grants.append({"currency": named.get("Currency", ""), "amountAwarded": repr(float(amount)) if amount else None})
    return grants


def giving_package_sums(out: Path) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in read_csv(out / "agreements.csv"):
        sums[(row["currency"], "amountAwarded")] += Decimal(row["committed_amount"])
    for row in read_csv(out / "transactions.csv"):
        sums[(row["currency"], "amountDisbursed")] += Decimal(row["amount"])
    for row in read_csv(out / "rejects.csv"):
        if row["amount"]:
            sums[(row["currency"], row["source_type"])] += Decimal(row["amount"])
    return dict(sums)


def summary_sums(out: Path) -> dict[tuple[str, str], dict[str, Decimal]]:
    """import_summary.csv summed over files: (currency, type) -> column -> amount."""
    sums: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in read_csv(out / "import_summary.csv"):
        for column, value in row.items():
            if column not in ("file", "currency", "source_type"):
                sums[(row["currency"], row["source_type"])][column] += Decimal(value)
    return sums


def package_outcomes(out: Path) -> dict[tuple[str, str, str], Decimal]:
    """(currency, type, outcome) -> amount, read from the package rows themselves."""
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for table, outcome in (
        ("transactions", "support"),
        ("expenditures", "expenditure"),
        ("pass_through", "pass_through"),
        ("rejects", "rejected"),
    ):
        for row in read_csv(out / f"{table}.csv"):
            if row["amount"]:
                sums[(row["currency"], row["source_type"], outcome)] += Decimal(row["amount"])
    return sums
