"""Exchange rates the package needs: its own fx_rates first, else the bundled IMF table.

The contract's fx_rates are EUR per unit, dated; a row applies from its rate_date on (an
as-of join). The IMF fallback (data/reference/imf_annual_per_usd.csv) is the annual
average of national currency per USD, so EUR per unit of C in year Y is
    eur_per_unit = EUR_per_USD(Y) / C_per_USD(Y)
computed exactly with Decimal and rounded half-even to 12 decimals (the warehouse keeps
DECIMAL(24,12)). It is dated Y-01-01 so that every day of Y uses Y's average.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from pipelines.importers.geography import REFERENCE_DIR

RATE_PLACES = Decimal("1e-12")
# Marks the rows this module writes, so a later import can tell them from an office's own
# rates and extend them (e.g. to earlier years) instead of treating them as the package's.
FALLBACK_SOURCE = "IMF annual average (importer fallback)"


def _read_imf(path: Path) -> dict[str, dict[int, Decimal]]:
    per_usd: dict[str, dict[int, Decimal]] = defaultdict(dict)
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            per_usd[row["currency"]][int(row["year"])] = Decimal(row["units_per_usd"])
    per_usd["USD"] = {year: Decimal(1) for year in per_usd["EUR"]}
    return per_usd


class RateBook:
    """Answers "is there a rate for C on day D?" and writes the fx_rates rows used.
    The package's own rates for a currency (rows not written by an earlier import) take
    precedence over the IMF table for that currency."""

    def __init__(self, package_rates: dict[str, list[date]], imf_path: Path = REFERENCE_DIR / "imf_annual_per_usd.csv"):
        self.package_first = {code: min(days) for code, days in package_rates.items() if days}
        self.per_usd = _read_imf(imf_path)
        self.years_needed: dict[str, set[int]] = defaultdict(set)
        self._years: dict[str, list[int]] = {}  # per currency, computed once (asked per transaction)
        self._rates: dict[tuple[str, int], Decimal] = {}

    @classmethod
    def for_package(cls, folder: Path) -> RateBook:
        rates: dict[str, list[date]] = defaultdict(list)
        path = folder / "fx_rates.csv"
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    if row.get("source") == FALLBACK_SOURCE:
                        continue
                    try:
                        rates[row["currency"].strip().upper()].append(date.fromisoformat(row["rate_date"].strip()))
                    except (KeyError, ValueError):
                        continue  # the loader reports bad fx rows itself
        return cls(rates)

    def fresh(self) -> RateBook:
        """The same rates with nothing needed yet (a parallel worker's book for one file)."""
        book = RateBook.__new__(RateBook)
        book.package_first, book.per_usd = self.package_first, self.per_usd
        book._years, book._rates = self._years, self._rates
        book.years_needed = defaultdict(set)
        return book

    def merge_needed(self, years_needed: dict[str, set[int]]) -> None:
        for code, years in years_needed.items():
            self.years_needed[code] |= years

    def _imf_years(self, code: str) -> list[int]:
        years = self._years.get(code)
        if years is None:
            euro = self.per_usd.get("EUR", {})
            years = self._years[code] = sorted(year for year in self.per_usd.get(code, {}) if year in euro)
        return years

    def covers(self, code: str, day: date) -> bool:
        """True when a rate dated on or before `day` exists or will be written."""
        if code == "EUR":
            return True
        if code in self.package_first:
            return self.package_first[code] <= day
        years = self._imf_years(code)
        if not years or years[0] > day.year:
            return False
        self.years_needed[code].add(day.year)
        return True

    def implausible(self, amount: Decimal, code: str, day: date, limit: Decimal = Decimal("1e10")) -> bool:
        """Whether an amount is worth over EUR 10 billion at the IMF rate (a plausibility
        flag for typos such as yen reported as dollars; the amount itself is kept)."""
        years = self._imf_years(code)
        before = bisect_right(years, day.year)  # years[before - 1]: the latest year <= day.year
        rate = Decimal(1) if code == "EUR" else (self.eur_per_unit(code, years[before - 1]) if before else None)
        return rate is not None and abs(amount) * rate > limit

    def eur_per_unit(self, code: str, year: int) -> Decimal:
        rate = self._rates.get((code, year))
        if rate is None:
            rate = self.per_usd["EUR"][year] / self.per_usd[code][year]
            rate = self._rates[(code, year)] = rate.quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
        return rate

    def fallback_rows(self) -> list[dict[str, str]]:
        """IMF-derived rows for currencies the package has no rates for: every IMF year
        from the earliest year needed to the latest year needed (or the last available)."""
        rows = []
        for code in sorted(self.years_needed):
            needed, years = self.years_needed[code], self._imf_years(code)
            # from the latest IMF year at or before the first year needed (the as-of row)
            start = max(year for year in years if year <= min(needed))
            for year in years:
                if start <= year <= max(needed):
                    rows.append(
                        {
                            "currency": code,
                            "rate_date": f"{year}-01-01",
                            "eur_per_unit": format(self.eur_per_unit(code, year), "f"),
                            "source": FALLBACK_SOURCE,
                        }
                    )
        return rows
