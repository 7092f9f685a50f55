"""Placing an IATI activity's money in regions: its places (or a transaction's own) as
shares of regions (geography.py), and its commitments summed into one agreement per
partner × currency × region."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pipelines.importers.geography import Place, RegionMap, Split
from pipelines.importers.iati_flows import Flow
from pipelines.importers.money import split_by_shares


def place(regions: RegionMap, places: list[Place], where: str, notes: list[str]) -> tuple[Split, int]:
    """The shares of regions for `places` of the activity or a transaction (`where`), its
    notes added to `notes`; with how many percentage lists were normalised (0 or 1)."""
    split = regions.split(places)
    normalised = 0
    for note in split.notes:
        if note.startswith("percentages sum"):
            normalised += 1
        notes.append(f"{where} geography: {note}")
    return split, normalised


@dataclass
class Agreement:
    id: str
    committed: Decimal = Decimal(0)
    days: list[date] = field(default_factory=list)  # of every flow in it


@dataclass
class Part:
    """A commitment's share in one region."""

    flow: Flow
    partner_id: str
    region: str
    amount: Decimal


class Agreements:
    """An activity's agreements, one per partner × currency × region, in the order first met."""

    def __init__(self, ident: str):
        self.ident = ident
        self.by_key: dict[tuple[str, str, str], Agreement] = {}

    def get(self, pid: str, currency: str, region: str) -> Agreement:
        key = (pid, currency, region)
        if key not in self.by_key:
            self.by_key[key] = Agreement(f"{self.ident}~{pid}~{currency}~{region}")
        return self.by_key[key]

    def commit(self, commitments: list[tuple[str, Flow]]) -> tuple[list[Part], list[tuple[Part, Decimal]]]:
        """Commitments (partner id, flow) summed per partner × currency × region: the parts
        committed, and the parts rejected with their region's sum. Where that sum is negative
        (de-obligations exceeding what was committed there), the region's parts are rejected,
        since committed_amount must be >= 0; other regions keep theirs."""
        parts: dict[tuple[str, str, str], list[Part]] = {}
        for pid, flow in commitments:
            for region, amount in split_by_shares(flow.amount, flow.split.shares).items():
                parts.setdefault((pid, flow.currency, region), []).append(Part(flow, pid, region, amount))
        committed, rejected = [], []
        for (pid, currency, region), members in parts.items():
            total = sum(part.amount for part in members)
            if total < 0:
                rejected += [(part, total) for part in members]
                continue
            agreement = self.get(pid, currency, region)
            for part in members:
                agreement.committed += part.amount
                agreement.days.append(part.flow.day)
                committed.append(part)
        return committed, rejected
