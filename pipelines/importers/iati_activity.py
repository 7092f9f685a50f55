"""Reading one `iati-activity` element: what it publishes, as published.

`Activity` and `Transaction` read their element on demand (a transaction's organisations
only when the mapping asks for them); they check nothing and write nothing. What the money
counts as is decided in iati_flows.py, where it goes in iati_regions.py, and the package
rows are written by iati_rows.py.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipelines.importers.dates import parse_iso_date
from pipelines.importers.geography import Place
from pipelines.importers.iati_xml import attr, kid, kids, text_of
from pipelines.importers.money import parse_amount
from pipelines.importers.organisations import partner_id
from pipelines.importers.text import clean_text

START_DATES = (("2", "start-actual"), ("1", "start-planned"))  # preferred first
END_DATES = (("4", "end-actual"), ("3", "end-planned"))


@dataclass
class Org:
    ref: str | None
    name: str
    type_code: str | None

    @classmethod
    def of(cls, el: ET.Element | None) -> Org | None:
        """The organisation an element names; None when it names none (no ref, no name)."""
        if el is None:
            return None
        org = cls(attr(el, "ref"), text_of(el), attr(el, "type"))
        return org if partner_id(org.ref, org.name) else None


def places(el: ET.Element) -> list[Place]:
    """The recipient countries and regions of an activity or a transaction."""
    found = [
        Place("country", (attr(c, "code") or "").upper(), parse_amount(attr(c, "percentage")))
        for c in kids(el, "recipient-country")
        if attr(c, "code")
    ]
    # 1.0x writes vocab= and may name the DAC vocabulary by word; missing means DAC
    found += [
        Place(
            "region",
            attr(r, "code"),
            parse_amount(attr(r, "percentage")),
            _vocabulary(attr(r, "vocabulary") or attr(r, "vocab")),
        )
        for r in kids(el, "recipient-region")
        if attr(r, "code")
    ]
    return found


def _vocabulary(value: str | None) -> str:
    return "1" if value is None or value.upper() == "DAC" else value


class Transaction:
    """One `transaction` element: type, value, currency and dates as published."""

    def __init__(self, el: ET.Element, index: int, default_currency: str | None):
        self.el, self.index = el, index
        self.type_el, self.value_el = kid(el, "transaction-type"), kid(el, "value")
        self.code = (attr(self.type_el, "code") or "").upper()
        self.amount = parse_amount(self.value_el.text if self.value_el is not None else None)
        # the value's currency, else the activity's default; "" when neither
        self.currency = (attr(self.value_el, "currency") or "").upper() or default_currency or ""

    def type_text(self) -> str:
        """The transaction-type element's own text (what a publisher wrote instead of @code)."""
        return clean_text(self.type_el.text) if self.type_el is not None else ""

    def value_text(self) -> str:
        return clean_text(self.value_el.text) if self.value_el is not None else ""

    def dates(self) -> tuple[date | None, date | None]:
        """(transaction-date, value-date), either None when absent or unreadable."""
        date_el = kid(self.el, "transaction-date")
        day = parse_iso_date(attr(date_el, "iso-date")) or parse_iso_date(date_el.text if date_el is not None else None)
        return day, parse_iso_date(attr(self.value_el, "value-date"))

    def provider(self) -> Org | None:
        return Org.of(kid(self.el, "provider-org"))

    def receiver(self) -> Org | None:
        return Org.of(kid(self.el, "receiver-org"))

    def receiver_activity_id(self) -> str | None:
        return attr(kid(self.el, "receiver-org"), "receiver-activity-id")

    def places(self) -> list[Place]:
        return places(self.el)

    def finance_type(self) -> str | None:
        return attr(kid(self.el, "finance-type"), "code")


@dataclass
class IndicatorPeriod:
    """One result/indicator/period: an outcome when every value is there."""

    ref: str  # "r.i.p": result, indicator and period numbers
    name: str
    baseline: Decimal
    end: date | None
    target: Decimal | None
    actual: Decimal | None


class Activity:
    """One `iati-activity` element: its identity, organisations, places and transactions."""

    def __init__(self, el: ET.Element, number: int, file_stem: str):
        self.el = el
        ident_el = kid(el, "iati-identifier")
        self.ident = clean_text(ident_el.text) if ident_el is not None else ""
        self.path = f"iati-activity[{number}]" + (f" {self.ident}" if self.ident else "")
        self.ident_made = not self.ident  # no iati-identifier: one made from the file and position
        if self.ident_made:
            self.ident = f"{file_stem}#activity{number}"
        self.default_currency = (attr(el, "default-currency") or "").upper() or None
        self.reporting = Org.of(kid(el, "reporting-org"))
        self.funders = [
            Org.of(p) for p in kids(el, "participating-org") if (attr(p, "role") or "").lower() in ("1", "funding")
        ]
        self.funder = next((org for org in self.funders if org), None)
        self.title = text_of(kid(el, "title")) or self.ident
        self.finance_type = attr(kid(el, "default-finance-type"), "code") or ""
        self.transactions = [
            Transaction(tx, index, self.default_currency) for index, tx in enumerate(kids(el, "transaction"), start=1)
        ]
        self._dates: dict[str, date | None] | None = None  # activity-date type -> date, read by `date`

    def places(self) -> list[Place]:
        return places(self.el)

    def date(self, types: tuple[tuple[str, str], ...]) -> date | None:
        """The first of `types` (activity-date code, or 1.0x word) the activity has."""
        if self._dates is None:  # read once: the start and the end are both asked for
            self._dates = {}
            for d in kids(self.el, "activity-date"):
                kind = (attr(d, "type") or "").lower()
                self._dates.setdefault(kind, parse_iso_date(attr(d, "iso-date")) or parse_iso_date(d.text))
        found = self._dates
        for code, word in types:
            if found.get(code) or found.get(word):
                return found.get(code) or found.get(word)
        return None

    def indicator_periods(self) -> Iterator[IndicatorPeriod]:
        for r, result in enumerate(kids(self.el, "result"), start=1):
            for i, indicator in enumerate(kids(result, "indicator"), start=1):
                name = text_of(kid(indicator, "title")) or text_of(kid(result, "title"))
                baseline = parse_amount(attr(kid(indicator, "baseline"), "value")) or Decimal(0)
                for p, period in enumerate(kids(indicator, "period"), start=1):
                    yield IndicatorPeriod(
                        f"{r}.{i}.{p}",
                        name,
                        baseline,
                        parse_iso_date(attr(kid(period, "period-end"), "iso-date")),
                        parse_amount(attr(kid(period, "target"), "value")),
                        parse_amount(attr(kid(period, "actual"), "value")),
                    )
