"""A tiny valid partner data package that a test can break on purpose."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.ingest.contract import TABLES

# One valid row per table; tests override tables or append rows to break one rule.
VALID_ROWS = {
    "regions": [{"region_code": "EU", "region_name": "Europe"}],
    "countries": [{"country_code": "FR", "country_name": "France", "region_code": "EU"}],
    "partners": [
        {
            "partner_id": "P1",
            "name": "Fondation Éclair",
            "partner_type": "foundation",
            "country_code": "FR",
            "since": "2020-01-01",
        }
    ],
    "fx_rates": [{"currency": "USD", "rate_date": "2025-01-01", "eur_per_unit": "0.9"}],
    "agreements": [
        {
            "agreement_id": "A1",
            "partner_id": "P1",
            "region_code": "EU",
            "title": "Grant",
            "instrument": "grant",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "committed_amount": "1000.00",
            "currency": "USD",
            "renews": "",
        }
    ],
    "transactions": [
        {
            "transaction_id": "T1",
            "agreement_id": "A1",
            "transaction_date": "2025-02-01",
            "transaction_type": "income",
            "amount": "100.00",
            "currency": "USD",
        }
    ],
    "expenditures": [
        {
            "expenditure_id": "E1",
            "region_code": "EU",
            "expenditure_date": "2025-02-01",
            "amount": "50.00",
            "currency": "EUR",
            "category": "staff",
            "agreement_id": "",
        }
    ],
    "activities": [
        {
            "activity_id": "X1",
            "region_code": "EU",
            "agreement_id": "A1",
            "title": "Workshop",
            "activity_type": "workshop",
            "start_date": "2025-03-01",
            "end_date": "2025-03-02",
            "participants": "20",
            "libraries_reached": "4",
            "country_code": "FR",
        }
    ],
    "interactions": [
        {
            "interaction_id": "I1",
            "partner_id": "P1",
            "region_code": "EU",
            "interaction_date": "2025-03-05",
            "channel": "call",
            "note": "Check-in",
        }
    ],
    "outcomes": [
        {
            "outcome_id": "O1",
            "region_code": "EU",
            "agreement_id": "",
            "indicator": "Librarians trained",
            "period_end": "2025-12-31",
            "baseline": "10",
            "target": "30",
            "actual": "25",
        }
    ],
}


def write_package(
    folder: Path, overrides: dict[str, list[dict]] | None = None, extra: dict[str, list[dict]] | None = None
) -> Path:
    """Write a package: VALID_ROWS, with whole tables replaced by `overrides` and rows
    appended from `extra`. Returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        rows = list((overrides or {}).get(table.name, VALID_ROWS[table.name]))
        rows += (extra or {}).get(table.name, [])
        with (folder / f"{table.name}.csv").open("w", newline="", encoding="utf-8") as handle:
            # optional columns only when a row gives them, as an office's own export would
            columns = [c for c in table.columns if c in table.required or any(c in row for row in rows)]
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder


SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"
