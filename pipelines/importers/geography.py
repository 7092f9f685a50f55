"""Where money goes: countries and DAC regions -> federation regions, with shares.

The mapping is data (data/reference/ by default, or the package's own countries.csv and
regions.csv), so an office can move a country to another region without code changes.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pipelines.importers.package import ImportFailure

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"
GLOBAL = "GLOBAL"
REGION_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,15}")
HUNDRED = Decimal(100)


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.exists():
        raise ImportFailure(f"{path}: region mapping table not found")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    missing = [c for c in columns if rows and c not in rows[0]]
    if missing:
        raise ImportFailure(f"{path}: region mapping table lacks column(s) {', '.join(missing)}")
    return rows


@dataclass
class Place:
    """One recipient-country or recipient-region entry as published."""

    kind: str  # "country" or "region"
    code: str
    percentage: Decimal | None
    vocabulary: str = "1"


@dataclass
class Split:
    shares: dict[str, Decimal]  # federation region -> percentage, summing to 100
    notes: list[str] = field(default_factory=list)

    def largest(self) -> str:
        return sorted(self.shares, key=lambda code: (-self.shares[code], code))[0]


class RegionMap:
    def __init__(self, regions: dict[str, str], countries: dict[str, tuple[str, str]], dac: dict[str, str]):
        self.regions = regions  # region_code -> name
        self.countries = countries  # ISO alpha-2 -> (name, region_code)
        self.dac = dac  # DAC region code -> region_code
        self.regions.setdefault(GLOBAL, "Global / no usable geography")

    @classmethod
    def load(cls, folder: Path | None = None, package: Path | None = None) -> RegionMap:
        """The mapping in `folder` (regions.csv, country_regions.csv or countries.csv,
        dac_regions.csv); else the package's own regions/countries when it has them;
        else the bundled default. DAC codes come from the bundled table unless `folder`
        has its own."""
        if (
            folder is None
            and package is not None
            and (package / "countries.csv").exists()
            and (package / "regions.csv").exists()
        ):
            folder = package
        folder = folder or REFERENCE_DIR
        countries_file = folder / "country_regions.csv"
        if not countries_file.exists():
            countries_file = folder / "countries.csv"
        dac_file = (
            folder / "dac_regions.csv" if (folder / "dac_regions.csv").exists() else REFERENCE_DIR / "dac_regions.csv"
        )
        regions = {
            r["region_code"]: r["region_name"] for r in _rows(folder / "regions.csv", ("region_code", "region_name"))
        }
        countries = {
            r["country_code"].upper(): (r["country_name"], r["region_code"])
            for r in _rows(countries_file, ("country_code", "country_name", "region_code"))
        }
        # DAC codes pointing at a region this mapping does not have fall back to GLOBAL
        dac = {
            r["dac_region_code"]: r["region_code"]
            for r in _rows(dac_file, ("dac_region_code", "region_code"))
            if r["region_code"] in regions
        }
        for code in sorted({*regions, *(region for _, region in countries.values())}):
            if not REGION_CODE.fullmatch(code) or code not in {*regions, GLOBAL}:
                raise ImportFailure(
                    f"{folder}: region code {code!r} is not in regions.csv or breaks the "
                    "contract's pattern (1-16 of A-Z, 0-9, _ starting with a letter)"
                )
        return cls(regions, countries, dac)

    def country_region(self, code: str) -> str | None:
        entry = self.countries.get(code.upper())
        return entry[1] if entry else None

    def split(self, places: list[Place]) -> Split:
        """Shares of federation regions for a list of places.

        Countries and the regions of one vocabulary together describe the whole (IATI
        rule); regions repeated under another vocabulary are alternative descriptions,
        so only DAC (vocabulary 1) regions are used when present, else the first
        vocabulary seen. Missing percentages are 0 when others are given, equal shares
        when none are; a total other than 100 is normalised and noted. Unmappable
        places (unknown country, publisher-defined or cross-region codes) go to GLOBAL.
        """
        if not places:
            return Split({GLOBAL: HUNDRED}, ["no recipient country or region: GLOBAL"])
        notes: list[str] = []
        vocabularies = [p.vocabulary for p in places if p.kind == "region"]
        if vocabularies:
            chosen = "1" if "1" in vocabularies else vocabularies[0]
            dropped = sorted({v for v in vocabularies if v != chosen})
            if dropped:
                notes.append(f"regions of vocabulary {', '.join(dropped)} ignored; vocabulary {chosen} used")
            places = [p for p in places if p.kind == "country" or p.vocabulary == chosen]
        given = [p.percentage for p in places if p.percentage is not None]
        if not given:
            weights = [Decimal(1)] * len(places)
            if len(places) > 1:
                notes.append(f"no percentages on {len(places)} places: split equally")
        else:
            weights = [p.percentage if p.percentage is not None else Decimal(0) for p in places]
        total = sum(weights)
        if total <= 0:
            weights, total = [Decimal(1)] * len(places), Decimal(len(places))
            notes.append("percentages sum to 0: split equally")
        elif given and total != HUNDRED:
            notes.append(f"percentages sum to {total}: normalised to 100")
        shares: dict[str, Decimal] = {}
        for place, weight in zip(places, weights, strict=True):
            region = self._region(place, notes)
            shares[region] = shares.get(region, Decimal(0)) + weight * HUNDRED / total
        shares = {code: share for code, share in shares.items() if share > 0} or {GLOBAL: HUNDRED}
        return Split(shares, notes)

    def _region(self, place: Place, notes: list[str]) -> str:
        if place.kind == "country":
            region = self.country_region(place.code)
            if region is None:
                notes.append(f"country {place.code!r} not in the mapping: GLOBAL")
            return region or GLOBAL
        region = self.dac.get(place.code) if place.vocabulary == "1" else None
        if region is None:
            notes.append(f"region {place.code!r} (vocabulary {place.vocabulary}) maps to no single region: GLOBAL")
        return region or GLOBAL
