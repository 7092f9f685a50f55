"""360Giving grants (JSON, CSV or XLSX) -> partner data package.

A grant becomes one agreement per beneficiary region: the funding organisation is the
partner, `amountAwarded` the commitment; `amountDisbursed`, where given, is income
against it. JSON numbers are read straight into Decimal. The mapping and its
refinements are described in docs/importers.md.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from pipelines.importers import giving_titles, xlsx
from pipelines.importers.dates import parse_any_date, slashed_order
from pipelines.importers.geography import GLOBAL, Split
from pipelines.importers.giving_json import iter_json_grants
from pipelines.importers.limits import MAX_TABLE_COLUMNS, InputLimit
from pipelines.importers.money import amount_problem, format_amount, parse_amount, split_by_shares, to_cents
from pipelines.importers.organisations import partner_id, partner_type
from pipelines.importers.package import ImportFailure, ImportSummary
from pipelines.importers.places import Places
from pipelines.importers.session import ImportSession
from pipelines.importers.source_files import Progress, iter_files
from pipelines.importers.text import clean_text
from pipelines.months import add_months

SUFFIXES = (".json", ".csv", ".xlsx")
# UK statistical geographies (360Giving geoCodeType codelist): all lie in GB.
UK_GEOCODE_TYPES = {
    "OA",
    "LSOA",
    "MSOA",
    "PAR",
    "WD",
    "UA",
    "NMD",
    "MD",
    "LONB",
    "CTY",
    "RGN/GOR",
    "RGN",
    "GOR",
    "WPC",
    "EER",
    "CTRY",
    "LAD",
    "LAC",
    "WZ",
    "CMWD",
    "CMLAD",
    "CCG",
    "LEP",
}
# UK statistical geography codes (GSS: E/W/S/N + 8 digits, K for UK-wide areas).
UK_GEOCODE = re.compile(r"[EKNSW]\d{8}")
# "24", 24, "24 months", "2 years", "1.5 yrs": a number of months, or of years
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(months?|mths?|years?|yrs?)?", re.IGNORECASE)
MONEY = ("amountAwarded", "amountDisbursed")
MAX_DURATION_MONTHS = 1200  # a longer planned duration (100 years) is not read
GOVERNMENT_IDS = re.compile(r"^GB-(GOV|LAE|LAS|LANI|PLA|NHS|SHPE)-|-GOV-", re.IGNORECASE)


def import_360giving(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    regions_dir: str | Path | None = None,
    default_currency: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import 360Giving files (files or folders of .json/.csv/.xlsx) into the package at
    `out_dir`. `default_currency` is used only for files without a currency column."""
    files = list(iter_files(paths, SUFFIXES))
    session = ImportSession(out_dir, regions_dir)
    try:
        places = Places(session.regions)
        for path in files:
            name = session.start_file(path)
            # two streamed passes: the file's date forms first (day- or month-first), then the grants
            order = slashed_order(_date_texts(iter_grants(path)))
            for where, grant in iter_grants(path):
                session.summary.activities += 1
                GrantMapper(
                    grant, f"{where} {grant.get('id') or ''}".strip(), name, session, places, order, default_currency
                ).run()
            if progress:
                progress(name, path.stat().st_size, path.stat().st_size)
    except BaseException:
        session.writer.abort()  # the package in out_dir stays as it was
        raise
    return session.finish()


def read_grants(path: Path) -> list[tuple[str, dict]]:
    """Every grant of a file at once (tests; the import streams with `iter_grants`)."""
    return list(iter_grants(path))


def iter_grants(path: Path) -> Iterator[tuple[str, dict]]:
    """(where, grant) pairs in the standard's JSON shape, streamed one at a time; where is
    "grants[i]" for JSON and "row n" for tables. Title keys and headers are unflattened
    by giving_titles. A file that cannot be read, or that passes a limit of `limits.py`,
    raises ImportFailure with one line."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFailure(f"{path}: not a 360Giving file (expected .json, .csv or .xlsx)")
    try:
        if suffix == ".json":
            for where, grant in iter_json_grants(path):
                yield where, giving_titles.unflatten(grant)
        elif suffix == ".xlsx":
            _, rows = xlsx.read_rows(path)
            yield from _table_grants(path, rows, spreadsheet=True)
        else:
            with path.open(encoding="utf-8-sig", newline="") as f:
                yield from _table_grants(path, enumerate(csv.reader(f), start=1), spreadsheet=False)
    except ImportFailure:
        raise
    except (
        OSError,
        UnicodeDecodeError,
        KeyError,
        ValueError,
        IndexError,
        TypeError,
        StopIteration,
        csv.Error,
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ET.ParseError,
        RecursionError,
        MemoryError,
    ) as error:
        message = " ".join(str(error).split())[:200] or type(error).__name__
        raise ImportFailure(f"{path}: cannot be read as 360Giving {suffix[1:].upper()} ({message})") from None


def _table_grants(path: Path, rows: Iterator[tuple[int, list[str]]], spreadsheet: bool) -> Iterator[tuple[str, dict]]:
    """Rows under a header of 360Giving column titles ("Funding Org:Name") or paths."""
    first = next(rows, None)
    if first is None:
        raise ImportFailure(f"{path}: empty file")
    header = first[1]
    if len(header) > MAX_TABLE_COLUMNS:
        raise InputLimit(f"{path}: the header has {len(header):,} columns; at most {MAX_TABLE_COLUMNS:,} are read")
    if not any((giving_titles.path(title) or [("",)])[0][0] == "amountAwarded" for title in header):
        raise ImportFailure(f"{path}: no 'Amount Awarded' column in the header row")
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        grant = giving_titles.unflatten_row(header, cells)
        grant["_spreadsheet"] = spreadsheet
        yield f"row {number}", grant


def _date_texts(grants: Iterable[tuple[str, dict]]) -> list[str]:
    """Every date of a file, to tell day-first from month-first d/m/yyyy forms."""
    texts = []
    for _, grant in grants:
        texts += [str(grant.get("awardDate") or ""), str(grant.get("dateModified") or "")]
        for dates in _list(grant, "plannedDates") + _list(grant, "actualDates"):
            texts += [str(dates.get("startDate") or ""), str(dates.get("endDate") or "")]
    return texts


def _list(obj: dict, key: str) -> list[dict]:
    value = obj.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _first(obj: dict, key: str) -> dict:
    return (_list(obj, key) or [{}])[0]


class GrantMapper:
    def __init__(
        self,
        grant: dict,
        path: str,
        file: str,
        session: ImportSession,
        places: Places,
        order: str,
        default_currency: str | None,
    ):
        self.grant, self.path, self.file, self.session = grant, path, file, session
        self.places, self.order = places, order
        self.writer = session.writer
        # one currency string for what is published, counted and rejected, so they reconcile
        self.currency = str(grant.get("currency") or default_currency or "").strip().upper()
        self.notes: list[str] = []

    def _amount(self, key: str) -> Decimal | None:
        value = self.grant.get(key)
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return parse_amount(value)  # None beyond the limits of money.amount_problem
        if not isinstance(value, str):
            return None
        if (
            self.grant.get("_spreadsheet")
            and len(value) < 64
            and re.fullmatch(r"-?\d+(\.\d+)?(E-?\d+)?", value.strip())
        ):
            # a spreadsheet stores a binary double; its shortest decimal form is what was typed
            return parse_amount(repr(float(value)))
        return parse_amount(value.replace(",", ""))

    def _amount_problem(self, key: str) -> str:
        value = self.grant.get(key)
        if isinstance(value, str):
            value = value.replace(",", "")
        return amount_problem(value) or "not a number"

    def _reject(self, reason: str, record: str = "grant", amounts: dict[str, Decimal | None] | None = None) -> None:
        """One reject row per money field, so awarded and disbursed sums both reconcile."""
        amounts = amounts if amounts is not None else {key: self._amount(key) for key in MONEY}
        written = False
        for key, amount in amounts.items():
            if amount is not None:
                self.writer.reject(
                    self.file,
                    self.path,
                    reason,
                    record=record,
                    source_type=key,
                    currency=self.currency,
                    amount=str(amount),
                )
                written = True
        if not written:
            self.writer.reject(self.file, self.path, reason, record=record, currency=self.currency)

    def _date(self, value: object) -> date | None:
        return parse_any_date(value, self.order)

    def _months(self, value: object) -> int | None:
        months = duration_months(value)
        if months is None and value is not None and str(value).strip():
            self.notes.append(f"duration {value!r} is not a number of months or years: ignored")
        return months

    def _dates(self) -> tuple[date | None, date | None]:
        """start: planned, else actual start, else award date; end: planned end, else start +
        planned duration, else the actual end or duration, else the start (no pipeline invented)."""
        planned, actual = _first(self.grant, "plannedDates"), _first(self.grant, "actualDates")
        award = self._date(self.grant.get("awardDate"))
        start = self._date(planned.get("startDate")) or self._date(actual.get("startDate")) or award
        end = None
        for dates in (planned, actual):
            end = self._date(dates.get("endDate"))
            months = self._months(dates.get("duration")) if end is None else None
            if end is None and start and months is not None:
                end = add_months(start, months)
            if end is not None:
                break
        if start and (end is None or end < start):
            if end is not None:
                self.notes.append(f"planned end {end} before start {start}: end set to start")
            end = start
        return start, end

    def _paid_on(self, start: date) -> date:
        """When an undated amountDisbursed was paid. The standard defines it as the total paid
        by the time the record was last updated: between the award and dateModified. Best
        estimate: the actual start, else the agreement's start, kept inside those bounds."""
        paid_on = self._date(_first(self.grant, "actualDates").get("startDate")) or start
        award, modified = self._date(self.grant.get("awardDate")), self._date(self.grant.get("dateModified"))
        if award and paid_on < award:
            self.notes.append(f"disbursement dated at the award date {award}, not before it at {paid_on}")
            paid_on = award
        if modified and paid_on > modified:
            self.notes.append(f"disbursement dated at dateModified {modified}, by when it was paid, not at {paid_on}")
            paid_on = modified
        return paid_on

    def _place(self, location: dict) -> tuple[str, str] | None:
        """ISO code, else a name (country, region, UK town), else a UK geography code."""
        for value in (location.get("countryCode"), location.get("name")):
            found = self.places.find(value)
            if found:
                return found
        code = str(location.get("geoCode") or "").strip().upper()
        if UK_GEOCODE.fullmatch(code) or str(location.get("geoCodeType") or "").strip().upper() in UK_GEOCODE_TYPES:
            return "country", "GB"
        return None

    def _region(self, kind: str, code: str) -> str:
        if kind == "country":
            region = self.session.regions.country_region(code)
            if region is None:
                self.notes.append(f"country {code} is not in the region mapping: GLOBAL")
            return region or GLOBAL
        if code not in self.session.regions.regions:
            self.notes.append(f"place names region {code}, which the region mapping lacks: GLOBAL")
            return GLOBAL
        return code

    def _split(self) -> Split:
        places: list[tuple[str, str]] = []
        unknown: list[str] = []
        for location in _list(self.grant, "beneficiaryLocation"):
            found = self._place(location)
            if found and found not in places:
                places.append(found)
            elif not found and any(location.get(k) for k in ("countryCode", "name", "geoCode")):
                unknown.append(str(location.get("name") or location.get("countryCode") or location.get("geoCode")))
        if unknown:
            self.notes.append(f"beneficiary location {', '.join(map(repr, unknown))} not recognised")
        if not places:
            recipient = _first(self.grant, "recipientOrganization")
            found = self.places.find(recipient.get("addressCountry")) or next(
                filter(None, map(self._place, _list(recipient, "location"))), None
            )
            if found:
                self.notes.append(f"no usable beneficiary location: recipient's {found[0]} {found[1]} used")
                places.append(found)
        if not places:
            self.notes.append("no usable beneficiary location or recipient country: GLOBAL")
            return Split({GLOBAL: Decimal(100)})
        if len(places) > 1:
            self.notes.append(f"{len(places)} beneficiary places without shares: split equally")
        shares: dict[str, Decimal] = {}
        for kind, code in places:
            region = self._region(kind, code)
            shares[region] = shares.get(region, Decimal(0)) + Decimal(100) / len(places)
        return Split(shares)

    def run(self) -> None:
        for key in MONEY:
            amount = self._amount(key)
            if amount is not None:
                self.writer.reconciliation.published(self.file, self.currency, key, amount)
        grant_id = clean_text(str(self.grant.get("id") or ""))
        if not grant_id:
            return self._reject("grant has no id")
        if grant_id in self.session.seen_ids:
            return self._reject("duplicate grant id: this grant was already imported in this run")
        self.session.seen_ids.add(grant_id)
        funder = _first(self.grant, "fundingOrganization")
        ref, name = clean_text(str(funder.get("id") or "")), clean_text(str(funder.get("name") or ""))
        pid = partner_id(ref, name)
        if pid is None:
            return self._reject("no fundingOrganization id or name to name the partner")
        currency = self.currency
        if not currency:
            return self._reject("no currency (the file has none: pass a default currency)")
        if currency not in self.session.currencies:
            return self._reject(f"currency {currency!r} is not an ISO 4217 code")
        awarded = self._amount("amountAwarded")
        if awarded is None:
            return self._reject(f"amountAwarded: {self._amount_problem('amountAwarded')}")
        if awarded < 0:
            return self._reject("amountAwarded is negative: committed_amount must be >= 0")
        start, end = self._dates()
        if start is None:
            return self._reject(f"no readable awardDate or planned start date ({self.grant.get('awardDate')!r})")
        disbursed = self._amount("amountDisbursed")
        if disbursed is None and str(self.grant.get("amountDisbursed") or "").strip():
            self.writer.reject(
                self.file,
                self.path,
                f"amountDisbursed: {self._amount_problem('amountDisbursed')}: no income row",
                record="amount",
                source_type="amountDisbursed",
                currency=self.currency,
            )
        if disbursed == 0:
            self.notes.append("amountDisbursed is 0: no income row")
        paid_on = self._paid_on(start) if disbursed else None
        for day in filter(None, (start, paid_on)):
            if not self.session.rates.covers(currency, day):
                return self._reject(f"no {currency} exchange rate on or before {day} (package fx_rates or IMF table)")
        awarded = self._cents("amountAwarded", awarded)
        disbursed = self._cents("amountDisbursed", disbursed) if disbursed else None
        ptype = partner_type(None, ref, default="government" if GOVERNMENT_IDS.search(ref) else "foundation")
        self.session.partner(pid, name, ptype, ref)
        split = self._split()
        title = clean_text(str(self.grant.get("title") or "")) or grant_id
        paid = split_by_shares(disbursed, split.shares) if disbursed is not None else {}
        for region, part in split_by_shares(awarded, split.shares).items():
            agreement_id = f"{grant_id}~{region}"
            self.session.used(pid, region)
            self.writer.add(
                "agreements",
                {
                    "agreement_id": agreement_id,
                    "partner_id": pid,
                    "region_code": region,
                    "title": title,
                    "instrument": "grant",
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "committed_amount": format_amount(part),
                    "currency": currency,
                    "renews": "",
                    "source_file": self.file,
                    "source_id": grant_id,
                },
            )
            self.writer.reconciliation.counted(self.file, currency, "amountAwarded", "commitment", part)
            if paid.get(region):
                self.writer.add(
                    "transactions",
                    {
                        "transaction_id": f"{grant_id}#disbursed~{region}",
                        "agreement_id": agreement_id,
                        "transaction_date": paid_on.isoformat(),
                        "transaction_type": "income",
                        "amount": format_amount(paid[region]),
                        "currency": currency,
                        "value_date": paid_on.isoformat(),
                        "source_type": "amountDisbursed",
                        "source_file": self.file,
                    },
                )
        for note in self.notes:
            self.writer.note(self.file, self.path, note)

    def _cents(self, key: str, amount: Decimal) -> Decimal:
        cents, remainder = to_cents(amount)
        if remainder:
            self._reject(
                f"{key} {amount} has more than 2 decimals: remainder dropped when rounding to {cents}",
                record="amount",
                amounts={key: remainder},
            )
        return cents


def duration_months(value: object) -> int | None:
    """Whole months of a duration ("24", 24, "24 months", "2 years", "1.5 yrs"), rounded
    half up; None for anything else ("Undefined", "6 weeks", negative numbers)."""
    match = DURATION.fullmatch(str(value if value is not None else "").strip())
    if not match:
        return None
    if len(match[1]) > 12:
        return None
    months = Decimal(match[1]) * (12 if (match[2] or "m").lower().startswith("y") else 1)
    months = int(months.to_integral_value(ROUND_HALF_UP))
    return months if months <= MAX_DURATION_MONTHS else None  # beyond: ignored, as unreadable
