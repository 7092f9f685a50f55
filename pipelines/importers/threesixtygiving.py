"""360Giving grants (JSON, CSV or XLSX) -> partner data package.

A grant becomes one agreement per beneficiary region: the funding organisation is the
partner, `amountAwarded` the commitment; `amountDisbursed`, where given, is income
against it. JSON numbers are read straight into Decimal. The mapping and its
refinements are described in docs/importers.md.
"""

from __future__ import annotations

import calendar
import csv
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipelines.importers.dates import parse_any_date, slashed_order
from pipelines.importers.geography import GLOBAL, REFERENCE_DIR, Split
from pipelines.importers.iati import Progress, iter_files
from pipelines.importers.money import format_amount, parse_amount, split_by_shares, to_cents
from pipelines.importers.organisations import partner_id, partner_type
from pipelines.importers.package import ImportFailure, ImportSummary
from pipelines.importers.session import ImportSession
from pipelines.importers.text import clean_text
from pipelines.importers import xlsx

SUFFIXES = (".json", ".csv", ".xlsx")
# UK statistical geographies (360Giving geoCodeType codelist): all lie in GB.
UK_GEOCODE_TYPES = {"OA", "LSOA", "MSOA", "PAR", "WD", "UA", "NMD", "MD", "LONB", "CTY", "RGN/GOR", "RGN",
                    "GOR", "WPC", "EER", "CTRY", "LAD", "LAC", "WZ", "CMWD", "CMLAD", "CCG", "LEP"}
# 360Giving spreadsheet column titles -> (JSON path); lists take their first element.
COLUMNS = {
    "identifier": ("id",), "title": ("title",), "description": ("description",), "currency": ("currency",),
    "amount awarded": ("amountAwarded",), "amount disbursed": ("amountDisbursed",), "award date": ("awardDate",),
    "recipient org:identifier": ("recipientOrganization", "id"), "recipient org:name": ("recipientOrganization", "name"),
    "recipient org:country": ("recipientOrganization", "addressCountry"),
    "funding org:identifier": ("fundingOrganization", "id"), "funding org:name": ("fundingOrganization", "name"),
    "beneficiary location:name": ("beneficiaryLocation", "name"),
    "beneficiary location:country code": ("beneficiaryLocation", "countryCode"),
    "beneficiary location:geographic code": ("beneficiaryLocation", "geoCode"),
    "beneficiary location:geographic code type": ("beneficiaryLocation", "geoCodeType"),
    "planned dates:start date": ("plannedDates", "startDate"), "planned dates:end date": ("plannedDates", "endDate"),
    "planned dates:duration (months)": ("plannedDates", "duration"),
    "actual dates:start date": ("actualDates", "startDate"),
}
GOVERNMENT_IDS = re.compile(r"^GB-(GOV|LAE|LAS|LANI|PLA|NHS|SHPE)-|-GOV-", re.IGNORECASE)


def import_360giving(paths: Iterable[str | Path], out_dir: str | Path, regions_dir: str | Path | None = None,
                     default_currency: str | None = None, progress: Progress | None = None) -> ImportSummary:
    """Import 360Giving files (files or folders of .json/.csv/.xlsx) into the package at
    `out_dir`. `default_currency` is used only for files without a currency column."""
    files = list(iter_files(paths, SUFFIXES))
    session = ImportSession(out_dir, regions_dir)
    try:
        places = PlaceNames(session)
        for path in files:
            name = session.start_file(path)
            grants = read_grants(path)
            order = slashed_order(_date_texts(grants))
            for where, grant in grants:
                session.summary.activities += 1
                GrantMapper(grant, f"{where} {grant.get('id') or ''}".strip(), name, session, places, order, default_currency).run()
            if progress:
                progress(name, path.stat().st_size, path.stat().st_size)
    except BaseException:
        session.writer.abort()  # the package in out_dir stays as it was
        raise
    return session.finish()


def read_grants(path: Path) -> list[tuple[str, dict]]:
    """(where, grant) pairs; where is "grants[i]" for JSON and "row n" for tables."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFailure(f"{path}: not a 360Giving file (expected .json, .csv or .xlsx)")
    try:
        if suffix == ".json":
            with path.open(encoding="utf-8-sig") as f:
                data = json.load(f, parse_float=Decimal)
            grants = data.get("grants") if isinstance(data, dict) else data
            if not isinstance(grants, list):
                raise ImportFailure(f"{path}: no \"grants\" list at the top level")
            return [(f"grants[{i}]", g) for i, g in enumerate(grants) if isinstance(g, dict)]
        if suffix == ".xlsx":
            _, rows = xlsx.read_rows(path)
            return _unflatten(path, rows, spreadsheet=True)
        with path.open(encoding="utf-8-sig", newline="") as f:
            return _unflatten(path, enumerate(csv.reader(f), start=1), spreadsheet=False)
    except (OSError, UnicodeDecodeError, KeyError, ValueError, StopIteration, zipfile.BadZipFile, ET.ParseError) as error:
        raise ImportFailure(f"{path}: cannot be read as 360Giving {suffix[1:].upper()} ({error})") from error


def _unflatten(path: Path, rows: Iterator[tuple[int, list[str]]], spreadsheet: bool) -> list[tuple[str, dict]]:
    """360Giving column titles ("Funding Org:Name") -> the JSON shape the mapper reads."""
    first = next(rows, None)
    if first is None:
        raise ImportFailure(f"{path}: empty file")
    header = [re.sub(r"\s+", " ", h).strip().lower() for h in first[1]]
    if "amount awarded" not in header:
        raise ImportFailure(f"{path}: no 'Amount Awarded' column in the header row")
    grants = []
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        grant: dict = {"_spreadsheet": spreadsheet}
        for title, value in zip(header, cells):
            target = COLUMNS.get(title)
            if target is None or value == "":
                continue
            if len(target) == 1:
                grant[target[0]] = value
            else:
                grant.setdefault(target[0], [{}])[0][target[1]] = value
        grants.append((f"row {number}", grant))
    return grants


def _date_texts(grants: list[tuple[str, dict]]) -> list[str]:
    """Every date of a file, to tell day-first from month-first d/m/yyyy forms."""
    texts = []
    for _, grant in grants:
        texts.append(str(grant.get("awardDate") or ""))
        for dates in _list(grant, "plannedDates") + _list(grant, "actualDates"):
            texts += [str(dates.get("startDate") or ""), str(dates.get("endDate") or "")]
    return texts


def _list(grant: dict, key: str) -> list[dict]:
    value = grant.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class PlaceNames:
    """Free-text place names -> ISO country, from country names in the region mapping
    plus data/reference/place_names.csv (UK nations and regions, common short names)."""

    def __init__(self, session: ImportSession):
        self.by_name = {self.normal(name): code for code, (name, _) in session.regions.countries.items()}
        with (REFERENCE_DIR / "place_names.csv").open(encoding="utf-8") as f:
            self.by_name.update({self.normal(r["name"]): r["country_code"] for r in csv.DictReader(f)})
        self.codes = set(session.regions.countries)

    @staticmethod
    def normal(name: str) -> str:
        name = re.sub(r"[^\w]+", " ", clean_text(name).casefold().replace("&", " and ")).strip()
        return re.sub(r"^the ", "", name)

    def country(self, name: str | None) -> str | None:
        """Exact name, else the part before " - " ("South West - Devon"), else none."""
        if not name:
            return None
        for candidate in (name, name.split(" - ")[0]):
            found = self.by_name.get(self.normal(candidate))
            if found:
                return found
        return None


class GrantMapper:
    def __init__(self, grant: dict, path: str, file: str, session: ImportSession, places: PlaceNames,
                 order: str, default_currency: str | None):
        self.grant, self.path, self.file, self.session = grant, path, file, session
        self.places, self.order, self.default_currency = places, order, default_currency
        self.writer = session.writer
        self.notes: list[str] = []

    def _amount(self, key: str) -> Decimal | None:
        value = self.grant.get(key)
        if isinstance(value, (int, Decimal)):
            return Decimal(value)
        if not isinstance(value, str):
            return None
        if self.grant.get("_spreadsheet") and re.fullmatch(r"-?\d+(\.\d+)?(E-?\d+)?", value.strip()):
            # a spreadsheet stores a binary double; its shortest decimal form is what was typed
            return Decimal(repr(float(value)))
        return parse_amount(value.replace(",", ""))

    def _reject(self, reason: str, record: str = "grant", amounts: dict[str, Decimal | None] | None = None) -> None:
        """One reject row per money field, so awarded and disbursed sums both reconcile."""
        currency = str(self.grant.get("currency") or self.default_currency or "").strip().upper()
        amounts = amounts if amounts is not None else {key: self._amount(key) for key in ("amountAwarded", "amountDisbursed")}
        written = False
        for key, amount in amounts.items():
            if amount is not None:
                self.writer.reject(self.file, self.path, reason, record=record, source_type=key, currency=currency, amount=str(amount))
                written = True
        if not written:
            self.writer.reject(self.file, self.path, reason, record=record, currency=currency)

    def _date(self, value: object) -> date | None:
        return parse_any_date(value, self.order)

    def _dates(self) -> tuple[date | None, date | None]:
        planned = (_list(self.grant, "plannedDates") or [{}])[0]
        award = self._date(self.grant.get("awardDate"))
        start = self._date(planned.get("startDate")) or award
        end = self._date(planned.get("endDate"))
        months = parse_amount(str(planned.get("duration") or "").lower().replace("months", "").replace("month", ""))
        if end is None and start and months is not None and months > 0:
            end = _add_months(start, int(months))
        if start and (end is None or end < start):
            if end is not None:
                self.notes.append(f"planned end {end} before start {start}: end set to start")
            end = start
        return start, end

    def _split(self) -> Split:
        countries: list[str] = []
        for location in _list(self.grant, "beneficiaryLocation"):
            code = str(location.get("countryCode") or "").strip().upper()
            if code not in self.places.codes:
                code = self.places.country(str(location.get("name") or "")) or self.places.country(code) or ""
            if not code and str(location.get("geoCodeType") or "").strip().upper() in UK_GEOCODE_TYPES:
                code = "GB"
            if code and code not in countries:
                countries.append(code)
        if not countries:
            recipient = (_list(self.grant, "recipientOrganization") or [{}])[0]
            code = self.places.country(str(recipient.get("addressCountry") or ""))
            if code:
                self.notes.append(f"no usable beneficiary location: recipient address country {code} used")
                countries.append(code)
        if not countries:
            self.notes.append("no usable beneficiary location or recipient country: GLOBAL")
            return Split({GLOBAL: Decimal(100)})
        if len(countries) > 1:
            self.notes.append(f"{len(countries)} beneficiary countries without shares: split equally")
        shares: dict[str, Decimal] = {}
        for code in countries:
            region = self.session.regions.country_region(code) or GLOBAL
            shares[region] = shares.get(region, Decimal(0)) + Decimal(100) / len(countries)
        return Split(shares)

    def run(self) -> None:
        grant_id = clean_text(str(self.grant.get("id") or ""))
        if not grant_id:
            return self._reject("grant has no id")
        if grant_id in self.session.seen_ids:
            return self._reject("duplicate grant id: this grant was already imported in this run")
        self.session.seen_ids.add(grant_id)
        funder = (_list(self.grant, "fundingOrganization") or [{}])[0]
        ref, name = clean_text(str(funder.get("id") or "")), clean_text(str(funder.get("name") or ""))
        pid = partner_id(ref, name)
        if pid is None:
            return self._reject("no fundingOrganization id or name to name the partner")
        currency = str(self.grant.get("currency") or self.default_currency or "").strip().upper()
        if not currency:
            return self._reject("no currency (the file has none: pass a default currency)")
        if currency not in self.session.currencies:
            return self._reject(f"currency {currency!r} is not an ISO 4217 code")
        awarded = self._amount("amountAwarded")
        if awarded is None:
            return self._reject(f"amountAwarded {self.grant.get('amountAwarded')!r} is not a number")
        if awarded < 0:
            return self._reject("amountAwarded is negative: committed_amount must be >= 0")
        start, end = self._dates()
        if start is None:
            return self._reject(f"no readable awardDate or planned start date ({self.grant.get('awardDate')!r})")
        disbursed = self._amount("amountDisbursed")
        paid_on = self._date((_list(self.grant, "actualDates") or [{}])[0].get("startDate")) or start
        for day in (start, paid_on):
            if not self.session.rates.covers(currency, day):
                return self._reject(f"no {currency} exchange rate on or before {day} (package fx_rates or IMF table)")
        awarded = self._cents("amountAwarded", awarded, currency)
        disbursed = self._cents("amountDisbursed", disbursed, currency) if disbursed is not None else None
        ptype = partner_type(None, ref, default="government" if GOVERNMENT_IDS.search(ref) else "foundation")
        self.session.partner(pid, name, ptype, ref)
        split = self._split()
        title = clean_text(str(self.grant.get("title") or "")) or grant_id
        paid = split_by_shares(disbursed, split.shares) if disbursed is not None else {}
        for region, part in split_by_shares(awarded, split.shares).items():
            agreement_id = f"{grant_id}~{region}"
            self.session.used(pid, region)
            self.writer.add("agreements", {
                "agreement_id": agreement_id, "partner_id": pid, "region_code": region, "title": title,
                "instrument": "grant", "start_date": start.isoformat(), "end_date": end.isoformat(),
                "committed_amount": format_amount(part), "currency": currency, "renews": "",
                "source_file": self.file, "source_id": grant_id,
            })
            if region in paid:
                self.writer.add("transactions", {
                    "transaction_id": f"{grant_id}#disbursed~{region}", "agreement_id": agreement_id,
                    "transaction_date": paid_on.isoformat(), "transaction_type": "income",
                    "amount": format_amount(paid[region]), "currency": currency, "value_date": paid_on.isoformat(),
                    "source_type": "amountDisbursed", "source_file": self.file,
                })
        for note in self.notes:
            self.writer.note(self.file, self.path, note)

    def _cents(self, key: str, amount: Decimal, currency: str) -> Decimal:
        cents, remainder = to_cents(amount)
        if remainder:
            self._reject(f"{key} {amount} has more than 2 decimals: remainder dropped when rounding to {cents}",
                         record="amount", amounts={key: remainder})
        return cents


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
