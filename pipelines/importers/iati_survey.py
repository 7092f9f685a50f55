"""The first pass over every file of an IATI import: what the second pass (the mapping)
must know about *other* activities to count each flow once.

- Parents whose components also carry transactions (hierarchy 1 with related-activity
  links): their own transactions would count the same money twice (SOURCES quirk 14).
- Money received: which activities report incoming funds (1 / IF) or an incoming
  commitment (11), and which organisation reports receiving what from whom. A funder's
  disbursement or commitment to an organisation that reports receiving it in this import
  is counted once, where it came in (the receiver's side), and is pass-through on the
  funder's side.

One pass reads each file once, one activity at a time; a file that is not well-formed
ends its pass quietly at the error (the mapping pass reports it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.collector import collector_paused
from pipelines.importers.iati_xml import attr, iter_activities, kid, kids
from pipelines.importers.limits import BoundedReader, InputLimit
from pipelines.importers.text import clean_text

INCOMING_KINDS = {"1": "income", "IF": "income", "11": "commitment"}


@dataclass
class Survey:
    covered_parents: set[str] = field(default_factory=set)
    # activity id -> kinds of money it reports receiving ("income", "commitment")
    received_by_activity: dict[str, set[str]] = field(default_factory=dict)
    # (receiving org ref, providing org ref, kind), refs upper-cased
    received_from: set[tuple[str, str, str]] = field(default_factory=set)

    def receives(
        self, activity_id: str | None, receiver_ref: str | None, funder_refs: Iterable[str | None], kind: str
    ) -> str | None:
        """How we know the receiving side reports this flow (for the note), or None."""
        if activity_id and kind in self.received_by_activity.get(activity_id, ()):
            return f"activity {activity_id} reports receiving it"
        receiver = (receiver_ref or "").upper()
        for funder in {(ref or "").upper() for ref in funder_refs} - {""}:
            if receiver and (receiver, funder, kind) in self.received_from:
                return f"{receiver_ref} reports receiving it from {funder} in its own activity"
        return None


@dataclass
class SurveyParts:
    """What the first pass collects, file by file; `survey()` combines it. Parts made from
    different files (in parallel workers) combine with `merge` to the same survey as one
    pass over all the files."""

    paying: set[str] = field(default_factory=set)
    parent_of_paying: set[str] = field(default_factory=set)
    children: set[tuple[str, str]] = field(default_factory=set)
    received_by_activity: dict[str, set[str]] = field(default_factory=dict)
    received_from: set[tuple[str, str, str]] = field(default_factory=set)
    # the ids the mapping gives this file's activities, in file order (a missing
    # iati-identifier is `<file stem>#activity<n>` there): to find duplicates across files
    mapped_ids: list[str] = field(default_factory=list)

    def merge(self, other: SurveyParts) -> None:
        self.paying |= other.paying
        self.parent_of_paying |= other.parent_of_paying
        self.children |= other.children
        for ident, kinds in other.received_by_activity.items():
            self.received_by_activity.setdefault(ident, set()).update(kinds)
        self.received_from |= other.received_from

    def survey(self) -> Survey:
        parents = self.parent_of_paying | {parent for parent, child in self.children if child in self.paying}
        return Survey(
            covered_parents=parents & self.paying,
            received_by_activity=self.received_by_activity,
            received_from=self.received_from,
        )


def survey_activity(el: ET.Element, number: int, stem: str, parts: SurveyParts) -> None:
    """What the first pass records about one activity (the `number`th of file `stem`)."""
    ident = _identifier(el)
    parts.mapped_ids.append(ident or f"{stem}#activity{number}")
    transactions = kids(el, "transaction")
    if transactions:
        parts.paying.add(ident)
        _record_money_received(el, ident, parts)
    for rel in kids(el, "related-activity"):
        kind, ref = attr(rel, "type"), attr(rel, "ref")
        if kind == "1" and transactions and ref:
            parts.parent_of_paying.add(ref)
        elif kind == "2" and ref:
            parts.children.add((ident, ref))


def survey_file(path: Path, parts: SurveyParts | None = None) -> SurveyParts:
    """The first pass over one file, added to `parts` (new parts if None)."""
    parts = parts if parts is not None else SurveyParts()
    with path.open("rb") as raw, BoundedReader(raw, str(path)) as f, collector_paused(collect_young=False):
        try:
            for number, el in enumerate(iter_activities(f), start=1):
                survey_activity(el, number, path.stem, parts)
        except (ET.ParseError, InputLimit):  # the mapping pass reports it
            pass
    return parts


def survey_files(files: Iterable[Path]) -> Survey:
    parts = SurveyParts()
    for path in files:
        survey_file(path, parts)
    return parts.survey()


def _identifier(el: ET.Element) -> str:
    ident_el = kid(el, "iati-identifier")
    return clean_text(ident_el.text) if ident_el is not None else ""


def _record_money_received(el: ET.Element, ident: str, survey: Survey | SurveyParts) -> None:
    receiver = (attr(kid(el, "reporting-org"), "ref") or "").upper()
    funding = [
        attr(p, "ref")
        for p in kids(el, "participating-org")
        if (attr(p, "role") or "").lower() in ("1", "funding") and attr(p, "ref")
    ]
    for tx in kids(el, "transaction"):
        kind = INCOMING_KINDS.get((attr(kid(tx, "transaction-type"), "code") or "").upper())
        if kind is None:
            continue
        if ident:
            survey.received_by_activity.setdefault(ident, set()).add(kind)
        provider = attr(kid(tx, "provider-org"), "ref") or (funding[0] if funding else None)
        if receiver and provider:
            survey.received_from.add((receiver, provider.upper(), kind))
