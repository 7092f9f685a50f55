"""Write the sample partner data package: the story of `story.py`, told in ten tables.

Deterministic for a seed. `copies` repeats the whole cast (new partner ids, same
story) so the same generator makes a few thousand rows for the bundled sample or
millions for benchmarks. A handful of deliberately broken rows (listed in
BROKEN_ROWS) show how a load reports bad input; they are written once, in copy 0.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl

from pipelines.ingest.contract import TABLES
from pipelines.months import add_months
from pipelines.sample import story
from pipelines.sample.story import FIRST_DAY, LAST_DAY

CENT = Decimal("0.01")

# Export errors a real office makes; each must end up in audit.rejects with its rule.
BROKEN_ROWS = {
    "partners": [
        {
            "partner_id": "PRT-0000-01",
            "name": "مؤسسة النور للمعرفة (duplicate export)",
            "partner_type": "foundation",
            "country_code": "SA",
            "since": "",
        }
    ],
    "agreements": [
        {
            "agreement_id": "AGR-BAD-1",
            "partner_id": "PRT-0000-02",
            "region_code": "MENA",
            "title": "Reading corners (dates swapped)",
            "instrument": "grant",
            "start_date": "2025-09-30",
            "end_date": "2025-01-01",
            "committed_amount": "15000.00",
            "currency": "AED",
            "renews": "",
        }
    ],
    "transactions": [
        {
            "transaction_id": "TRX-BAD-1",
            "agreement_id": "AGR-9999",
            "transaction_date": "2025-02-14",
            "transaction_type": "income",
            "amount": "2500.00",
            "currency": "USD",
        },
        {
            "transaction_id": "TRX-BAD-2",
            "agreement_id": None,
            "transaction_date": "2025-03-03",
            "transaction_type": "income",
            "amount": "1 200,00",
            "currency": "EUR",
        },
        {
            "transaction_id": "TRX-BAD-3",
            "agreement_id": None,
            "transaction_date": "2025-05-20",
            "transaction_type": "income",
            "amount": "900.00",
            "currency": "EURO",
        },
    ],
    "expenditures": [
        {
            "expenditure_id": "EXP-BAD-1",
            "region_code": "LAC",
            "expenditure_date": "2025-13-01",
            "amount": "830.00",
            "currency": "BRL",
            "category": "travel",
            "agreement_id": "",
        }
    ],
    "activities": [
        {
            "activity_id": "ACT-BAD-1",
            "region_code": "AF",
            "agreement_id": "",
            "title": "Book fair",
            "activity_type": "conference",
            "start_date": "2025-06-10",
            "end_date": "2025-06-12",
            "participants": "-40",
            "libraries_reached": "12",
            "country_code": "KE",
        }
    ],
    "interactions": [
        {
            "interaction_id": "INT-BAD-1",
            "partner_id": "PRT-0000-01",
            "region_code": "MENA",
            "interaction_date": "2025-04-02",
            "channel": "whatsapp",
            "note": "Quick check-in",
        }
    ],
}


def generate_package(out: Path, copies: int = 1, seed: int = 2025, file_format: str = "csv") -> dict[str, int]:
    """Write the ten tables into `out`; returns rows written per table."""
    rng = random.Random(seed)
    rates = _fx_rates(rng)
    tables: dict[str, list[dict]] = defaultdict(list)
    tables["regions"] = [{"region_code": c, "region_name": n} for c, n in story.REGIONS.items()]
    tables["countries"] = [{"country_code": c, "country_name": n, "region_code": r} for c, n, r in story.COUNTRIES]
    tables["fx_rates"] = [
        {"currency": cur, "rate_date": day.isoformat(), "eur_per_unit": f"{rate:.6f}"}
        for cur, series in rates.items()
        for day, rate in series
    ]
    for copy in range(copies):
        _tell_story(copy, rng, rates, tables)
    # The agreements that connect a broken transaction are real ones of copy 0.
    first_agreement = tables["agreements"][0]["agreement_id"]
    for table, rows in BROKEN_ROWS.items():
        for row in rows:
            fixed = {k: (first_agreement if v is None else v) for k, v in row.items()}
            position = min(len(tables[table]), 7 + len(tables[table]) // 3)
            tables[table].insert(position, fixed)
    # The duplicate is an exact re-export of a real row further down the file.
    tables["transactions"].append(dict(tables["transactions"][5]))

    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table in TABLES:
        # optional columns only when the story gives them (value_date never: an extension)
        columns = [c for c in table.columns if c in table.required or any(c in row for row in tables[table.name])]
        frame = (
            pl.DataFrame(tables[table.name], schema={c: pl.String for c in columns}, orient="row")
            if tables[table.name]
            else pl.DataFrame(schema={c: pl.String for c in columns})
        )
        frame = frame.select(pl.col(c).replace("", None) for c in columns)
        for old in out.glob(f"{table.name}.*"):
            old.unlink()
        if file_format == "parquet":
            frame.write_parquet(out / f"{table.name}.parquet")
        else:
            frame.write_csv(out / f"{table.name}.csv")
        counts[table.name] = frame.height
    return counts


def _tell_story(copy: int, rng: random.Random, rates: dict, tables: dict[str, list[dict]]) -> None:
    suffix = f"{copy:04d}"
    pid = {p.key: f"PRT-{suffix}-{i + 1:02d}" for i, p in enumerate(story.PARTNERS)}
    partner = {p.key: p for p in story.PARTNERS}
    for p in story.PARTNERS:
        tables["partners"].append(
            {
                "partner_id": pid[p.key],
                "name": p.name if copy == 0 else f"{p.name} ({copy + 1})",
                "partner_type": p.partner_type,
                "country_code": p.country_code,
                "since": p.since,
            }
        )
    ids = _Counter(suffix)
    first_agreement = len(tables["agreements"])
    support_2025: dict[str, Decimal] = defaultdict(Decimal)
    for region, fundings in story.FUNDING.items():
        for funding in fundings:
            p = partner[funding.partner]
            previous = None
            for start, end in funding.terms:
                agreement_id = ids.next("AGR")
                months = round((end - start).days / 30.44)
                rate = _rate_on(rates, p.currency, start)
                annual = Decimal(funding.annual_eur) / rate
                committed = _money(annual * months / 12, p.currency)
                tables["agreements"].append(
                    {
                        "agreement_id": agreement_id,
                        "partner_id": pid[p.key],
                        "region_code": region,
                        "title": f"{_TITLES[funding.instrument]} {start.year}–{end.year}",
                        "instrument": funding.instrument,
                        "start_date": start.isoformat(),
                        "end_date": end.isoformat(),
                        "committed_amount": str(committed),
                        "currency": p.currency,
                        "renews": previous if (previous and funding.link == "renews") else "",
                    }
                )
                previous = agreement_id
                kind = "in_kind" if funding.instrument == "in_kind" else "income"
                for day, amount in _instalments(rng, start, end, committed, p.currency):
                    tables["transactions"].append(
                        {
                            "transaction_id": ids.next("TRX"),
                            "agreement_id": agreement_id,
                            "transaction_date": day.isoformat(),
                            "transaction_type": kind,
                            "amount": str(amount),
                            "currency": p.currency,
                        }
                    )
                    if day.year == 2025:
                        support_2025[region] += amount * _rate_on(rates, p.currency, day)
                if funding.partner == "sahel":  # unspent funds returned after the grant closed
                    tables["transactions"].append(
                        {
                            "transaction_id": ids.next("TRX"),
                            "agreement_id": agreement_id,
                            "transaction_date": "2025-05-15",
                            "transaction_type": "income",
                            "amount": str(-_money(annual / 15, p.currency)),
                            "currency": p.currency,
                        }
                    )
        for key in story.MOU_PARTNERS[region]:
            tables["agreements"].append(
                {
                    "agreement_id": ids.next("AGR"),
                    "partner_id": pid[key],
                    "region_code": region,
                    "title": "Memorandum of understanding on library cooperation",
                    "instrument": "mou",
                    "start_date": "2023-03-01",
                    "end_date": "2026-02-28",
                    "committed_amount": "0",
                    "currency": "EUR",
                    "renews": "",
                }
            )
    agreements = tables["agreements"][first_agreement:]
    for region in story.REGIONS:
        _expenditures(rng, rates, ids, region, support_2025[region], tables)
        _interactions(rng, ids, region, pid, tables)
        _activities(rng, ids, region, [a for a in agreements if a["region_code"] == region], tables)
        _outcomes(rng, ids, region, tables)


def _instalments(rng, start: date, end: date, committed: Decimal, currency: str):
    """Quarterly payments in advance over the agreement; only those up to LAST_DAY exist yet."""
    count = max(1, math.ceil(((end - start).days + 1) / 91.3))
    share = _money(committed / count, currency)
    for n in range(count):
        day = add_months(start, 3 * n) + timedelta(days=rng.randint(5, 25))
        amount = share if n < count - 1 else committed - share * (count - 1)
        if day <= LAST_DAY:
            yield day, amount


def _expenditures(rng, rates, ids, region, support_2025: Decimal, tables) -> None:
    currency = story.OFFICE_CURRENCY[region]
    monthly_eur = support_2025 * Decimal(str(story.SPENDING_RATIO[region])) / 12
    split = (("staff", 0.45), ("programmes", 0.27), ("events", 0.1), ("travel", 0.08), ("overheads", 0.1))
    month = FIRST_DAY
    while month <= LAST_DAY:
        for category, part in split:
            eur = monthly_eur * Decimal(str(part * rng.uniform(0.85, 1.15)))
            day = month + timedelta(days=rng.randint(0, 27))
            tables["expenditures"].append(
                {
                    "expenditure_id": ids.next("EXP"),
                    "region_code": region,
                    "expenditure_date": day.isoformat(),
                    "amount": str(_money(eur / _rate_on(rates, currency, day), currency)),
                    "currency": currency,
                    "category": category,
                    "agreement_id": "",
                }
            )
        if rng.random() < 0.08:  # a reversed booking
            tables["expenditures"].append(
                {
                    "expenditure_id": ids.next("EXP"),
                    "region_code": region,
                    "expenditure_date": (month + timedelta(days=27)).isoformat(),
                    "amount": str(-_money(monthly_eur * Decimal("0.02") / _rate_on(rates, currency, month), currency)),
                    "currency": currency,
                    "category": "other",
                    "agreement_id": "",
                }
            )
        month = add_months(month, 1)


def _interactions(rng, ids, region, pid, tables) -> None:
    keys = [f.partner for f in story.FUNDING[region]] + story.MOU_PARTNERS[region]
    silent_after = story.SILENT_AFTER.get(region)
    for key in keys:
        day = FIRST_DAY + timedelta(days=rng.randint(0, 40))
        while day <= LAST_DAY:
            if silent_after is None or day <= silent_after or key in story.STILL_TALKING:
                channel = rng.choice(("meeting", "call", "email", "email", "visit", "event"))
                tables["interactions"].append(
                    {
                        "interaction_id": ids.next("INT"),
                        "partner_id": pid[key],
                        "region_code": region,
                        "interaction_date": day.isoformat(),
                        "channel": channel,
                        "note": rng.choice(_NOTES),
                    }
                )
            day += timedelta(days=rng.randint(25, 70))


def _activities(rng, ids, region, agreements, tables) -> None:
    countries = [c for c, _, r in story.COUNTRIES if r == region]
    agreements = [a for a in agreements if a["instrument"] != "mou"]
    month = FIRST_DAY
    while month <= LAST_DAY:
        for _ in range(rng.randint(1, 2)):
            kind = rng.choice(("workshop", "training", "conference", "meeting", "webinar", "publication", "advocacy"))
            start = month + timedelta(days=rng.randint(0, 25))
            days = {"conference": 3, "training": 5, "workshop": 2}.get(kind, 1)
            linked = [a for a in agreements if a["start_date"] <= start.isoformat() <= a["end_date"]]
            tables["activities"].append(
                {
                    "activity_id": ids.next("ACT"),
                    "region_code": region,
                    "agreement_id": rng.choice(linked)["agreement_id"] if linked and rng.random() < 0.7 else "",
                    "title": f"{kind.capitalize()}: {rng.choice(_TOPICS)}",
                    "activity_type": kind,
                    "start_date": start.isoformat(),
                    "end_date": (start + timedelta(days=days - 1)).isoformat(),
                    "participants": str(0 if kind == "publication" else rng.randint(12, 320)),
                    "libraries_reached": str(rng.randint(1, 45)),
                    "country_code": rng.choice(countries),
                }
            )
        month = add_months(month, 1)


def _outcomes(rng, ids, region, tables) -> None:
    for year in (2023, 2024, 2025):
        for indicator in story.OUTCOME_INDICATORS:
            baseline = rng.randint(10, 60)
            target = baseline + rng.randint(20, 80)
            actual = baseline + round((target - baseline) * story.ACHIEVEMENT[region] * rng.uniform(0.8, 1.2))
            tables["outcomes"].append(
                {
                    "outcome_id": ids.next("OUT"),
                    "region_code": region,
                    "agreement_id": "",
                    "indicator": indicator,
                    "period_end": f"{year}-12-31",
                    "baseline": str(baseline),
                    "target": str(target),
                    "actual": str(actual),
                }
            )


def _fx_rates(rng) -> dict[str, list[tuple[date, float]]]:
    """Monthly rates (daily for a few currencies) from December 2022, drifting ±1.5 % a step."""
    series = {}
    for currency, start in story.START_RATES.items():
        daily = currency in story.DAILY_RATE_CURRENCIES
        rate, day, points = start, date(2022, 12, 1), []
        while day <= LAST_DAY:
            points.append((day, rate))
            rate *= 1 + rng.uniform(-0.015, 0.015) / (4.5 if daily else 1)
            day = day + timedelta(days=1) if daily else add_months(day, 1)
        series[currency] = points
    return series


def _rate_on(rates, currency: str, day: date) -> Decimal:
    """The rate the loader will use: the latest one dated on or before `day`."""
    if currency == "EUR":
        return Decimal(1)
    series = rates[currency]
    index = bisect.bisect_right(series, (day, math.inf)) - 1
    return Decimal(f"{series[index][1]:.6f}")


def _money(value: Decimal, currency: str) -> Decimal:
    unit = Decimal(1) if currency in story.WHOLE_UNIT_CURRENCIES else CENT
    return value.quantize(unit, rounding=ROUND_HALF_UP)


class _Counter:
    def __init__(self, suffix: str):
        self.suffix, self.counts = suffix, defaultdict(int)

    def next(self, prefix: str) -> str:
        self.counts[prefix] += 1
        return f"{prefix}-{self.suffix}-{self.counts[prefix]:05d}"


_TITLES = {
    "grant": "Programme grant",
    "sponsorship": "Sponsorship",
    "in_kind": "In-kind support",
    "contract": "Service contract",
    "mou": "Memorandum of understanding",
}
_TOPICS = (
    "digital literacy",
    "open access",
    "reading promotion",
    "library advocacy",
    "preservation",
    "community archives",
    "children's reading",
    "information policy",
    "the SDGs in libraries",
)
_NOTES = (
    "Progress update on the programme",
    "Discussed next year's priorities",
    "Réunion de suivi",
    "Shared the annual report",
    "Site visit to partner libraries",
    "Invitation to the regional forum",
    "Budget revision agreed",
    "Call about reporting deadlines",
)
