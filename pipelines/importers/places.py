"""Free-text place names and codes -> an ISO country or a federation region.

In this order: an ISO alpha-2 code of the region mapping; a country name (the mapping's
own names, then data/reference/place_names.csv); a name of a larger area that lies in one
region (region_names.csv: M49 regions and sub-regions, "Middle East", …); a UK town
(uk_towns.csv). Each is tried on the whole text, then on the part before " - "
("South West - Devon").
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from pipelines.importers.geography import REFERENCE_DIR, RegionMap
from pipelines.importers.text import clean_text


def normal(name: str) -> str:
    name = re.sub(r"[^\w]+", " ", clean_text(name).casefold().replace("&", " and ")).strip()
    return re.sub(r"^the ", "", name)


def _table(path: Path, value: str) -> dict[str, str]:
    with path.open(encoding="utf-8") as f:
        return {normal(row["name"]): row[value] for row in csv.DictReader(f)}


class Places:
    def __init__(self, regions: RegionMap, reference: Path = REFERENCE_DIR):
        self.codes = set(regions.countries)
        self.countries = {normal(name): code for code, (name, _) in regions.countries.items()}
        self.countries.update(_table(reference / "place_names.csv", "country_code"))
        self.regions = _table(reference / "region_names.csv", "region_code")
        self.towns = _table(reference / "uk_towns.csv", "country_code")

    def find(self, text: object) -> tuple[str, str] | None:
        """("country", ISO code) or ("region", region code) for a code or name, else None."""
        text = clean_text(str(text or ""))
        if not text:
            return None
        if text.upper() in self.codes:
            return "country", text.upper()
        for candidate in dict.fromkeys((normal(text), normal(text.split(" - ")[0]))):
            for kind, table in (("country", self.countries), ("region", self.regions), ("country", self.towns)):
                if candidate in table:
                    return kind, table[candidate]
        return None
