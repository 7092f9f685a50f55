"""The ISO 4217 currency codes, kept once: `iso4217.csv` beside this file (the IATI
Currency codelist, withdrawn codes included so that older records still read; rebuilt by
pipelines/importers/build_reference.py). The loader's `unknown_currency` rule, the
REPORTING_CURRENCY check and both importers read this one list."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

ISO4217_CSV = Path(__file__).with_name("iso4217.csv")
COLUMNS = ["code", "name", "status"]


@cache
def currency_codes() -> frozenset[str]:
    with ISO4217_CSV.open(encoding="utf-8", newline="") as handle:
        return frozenset(row["code"].strip().upper() for row in csv.DictReader(handle) if row["code"])
