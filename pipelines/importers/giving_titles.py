"""360Giving column titles -> the standard's JSON shape (what flattentool calls "unflatten").

One table of names serves spreadsheets (CSV/XLSX header rows) and JSON converted from a
spreadsheet whose keys are titles ("Planned Dates:Duration (months)"), JSON-path headers
("plannedDates/0/duration") or a mix of those and the standard's keys.

A name is split on ":" or "/" and each part is matched against the keys, titles and
common variants of its level (`GRANT`, and the organisation, location and date levels
below it), ignoring case, spaces and punctuation ("Duration (Months)" = "duration months"
= "durationMonths"... and "Duration"). A number picks an element of a list
("Beneficiary Location:1:Name"); without one, a value goes to the first element whose
field is still empty, so repeated columns become several locations. A name that matches
nothing is kept as it is (the mapper does not read it). Of two values for one field, the
first is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_LIST_INDEX = 1_000  # limits.MAX_LIST_INDEX (not imported: this module has no dependency)


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


class Level:
    """The fields of one object of the standard: key -> titles and variants, and for a
    list of objects the level of its elements."""

    def __init__(self, fields: dict[str, tuple[str, ...] | tuple[tuple[str, ...], Level]]):
        self.lookup: dict[str, tuple[str, Level | None]] = {}
        for key, spec in fields.items():
            titles, child = spec if len(spec) == 2 and isinstance(spec[1], Level) else (spec, None)
            for name in (key, *titles):
                self.lookup[_norm(name)] = (key, child)


LOCATION = Level(
    {
        "id": ("Identifier",),
        "name": ("Name", "Location Name"),
        "countryCode": ("Country Code", "Country"),
        "geoCode": ("Geographic Code", "Geo Code"),
        "geoCodeType": ("Geographic Code Type", "Geo Code Type"),
        "latitude": ("Latitude",),
        "longitude": ("Longitude",),
        "description": ("Description",),
    }
)
ORGANISATION = Level(
    {
        "id": ("Identifier",),
        "name": ("Name",),
        "department": ("Department",),
        "charityNumber": ("Charity Number",),
        "companyNumber": ("Company Number",),
        "streetAddress": ("Street Address",),
        "addressLocality": ("City", "Town"),
        "addressRegion": ("County",),
        "addressCountry": ("Country", "Address Country"),
        "postalCode": ("Postal Code", "Postcode"),
        "alternateName": ("Alternate Name",),
        "url": ("Web Address", "URL"),
        "location": (("Location",), LOCATION),
    }
)
DATES = Level(
    {
        "startDate": ("Start Date", "Start"),
        "endDate": ("End Date", "End"),
        "duration": ("Duration (months)", "Duration", "Duration in months"),
        "title": ("Title",),
    }
)
PROGRAMME = Level({"code": ("Code",), "title": ("Title",), "url": ("URL",)})
GRANT = Level(
    {
        "id": ("Identifier",),
        "title": ("Title",),
        "description": ("Description",),
        "currency": ("Currency",),
        "amountAppliedFor": ("Amount Applied For",),
        "amountAwarded": ("Amount Awarded",),
        "amountDisbursed": ("Amount Disbursed",),
        "awardDate": ("Award Date",),
        "url": ("URL",),
        "dateModified": ("Last Modified",),
        "dataSource": ("Data Source",),
        "fromOpenCall": ("From an open call?",),
        "plannedDates": (("Planned Dates",), DATES),
        "actualDates": (("Actual Dates",), DATES),
        "recipientOrganization": (("Recipient Org", "Recipient Organisation"), ORGANISATION),
        "fundingOrganization": (("Funding Org", "Funding Organisation"), ORGANISATION),
        "beneficiaryLocation": (("Beneficiary Location",), LOCATION),
        "grantProgramme": (("Grant Programme", "Grant Program"), PROGRAMME),
    }
)

# A step of a path: (key, level of the list's elements or None for a plain field,
# element index or None for "the first element where the field is empty").
Step = tuple[str, "Level | None", "int | None"]
_PATHS: dict[tuple[int, str], list[Step] | None] = {}


def path(name: str, level: Level = GRANT) -> list[Step] | None:
    """The steps `name` stands for, or None when a part of it matches nothing."""
    cache_key = (id(level), name)
    if cache_key not in _PATHS:
        _PATHS[cache_key] = _parse(name, level)
    return _PATHS[cache_key]


def _parse(name: str, level: Level) -> list[Step] | None:
    steps: list[Step] = []
    current: Level | None = level
    for part in re.split(r"[:/]", name):
        if part.strip().isdigit() and steps and steps[-1][1] is not None and steps[-1][2] is None:
            if len(part.strip()) > 4 or int(part) > MAX_LIST_INDEX:
                return None  # "Beneficiary Location:99999999:Name" would build that many elements
            key, child, _ = steps[-1]
            steps[-1] = (key, child, int(part))
            continue
        found = current.lookup.get(_norm(part)) if current is not None else None
        if found is None:
            return None
        steps.append((found[0], found[1], None))
        current = found[1]
    return steps or None


def put(target: dict, steps: list[Step], value: object) -> None:
    """Set `value` at `steps` inside `target`, creating lists and objects on the way."""
    if value is None or value == "":
        return
    (key, child, index), rest = steps[0], steps[1:]
    if child is None:
        if target.get(key) in (None, ""):
            target[key] = value
        return
    items = target.get(key)
    if not isinstance(items, list):
        items = target[key] = [items] if isinstance(items, dict) else []
    if not rest:  # nested JSON: a list of objects, or one object, keyed by keys or titles
        for offset, element in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(element, dict):
                merge(_element(items, (index or 0) + offset), element, child)
        return
    if index is None:
        leaf = rest[0][0]
        index = (
            next((i for i, item in enumerate(items) if item.get(leaf) in (None, "")), len(items))
            if len(rest) == 1 and rest[0][1] is None
            else 0
        )
    put(_element(items, index), rest, value)


def _element(items: list, index: int) -> dict:
    while len(items) <= index:
        items.append({})
    if not isinstance(items[index], dict):
        items[index] = {}
    return items[index]


def merge(target: dict, obj: dict, level: Level = GRANT) -> dict:
    """Every key of `obj` (standard key, title or path) put into `target`; unknown keys kept."""
    for name, value in obj.items():
        steps = path(name, level) if isinstance(name, str) else None
        if steps is None:
            target.setdefault(name, value)
        else:
            put(target, steps, value)
    return target


def unflatten(obj: dict) -> dict:
    """A grant as published (standard keys, titles, paths or a mix) in the standard's shape."""
    return merge({}, obj)


def unflatten_row(header: Iterable[str], cells: Iterable[str]) -> dict:
    """One spreadsheet row under its header of titles or paths."""
    grant: dict = {}
    for name, value in zip(header, cells, strict=False):
        steps = path(name)
        if steps is not None:
            put(grant, steps, value)
    return grant
