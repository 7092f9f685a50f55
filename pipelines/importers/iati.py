"""IATI activity files (1.0x and 2.0x) -> partner data package.

Streams each file with `xml.etree.ElementTree.iterparse`, handling one `iati-activity`
at a time and dropping it afterwards, so memory stays bounded whatever the file size.
Elements and attributes are matched by local name, whatever their namespace.
The mapping and its refinements are described in docs/importers.md.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipelines.importers.dates import parse_iso_date
from pipelines.importers.flows import EXPENDITURE, PASS_THROUGH, SPENDING, SUPPORT, TYPE_NAMES, classify, is_receiver, \
    reporter_funds, why_not_money
from pipelines.importers.geography import Place, Split
from pipelines.importers.iati_survey import Survey, survey_files
from pipelines.importers.iati_xml import attr, iter_activities, kid, kids, text_of
from pipelines.importers.limits import BoundedReader, InputLimit
from pipelines.importers.money import amount_problem, format_amount, format_number, parse_amount, split_by_shares, \
    to_cents
from pipelines.importers.organisations import partner_id, partner_type
from pipelines.importers.package import ImportFailure, ImportSummary
from pipelines.importers.session import ImportSession
from pipelines.importers.text import clean_text

Progress = Callable[[str, int, int], None]

START_DATES = (("2", "start-actual"), ("1", "start-planned"))  # preferred first
END_DATES = (("4", "end-actual"), ("3", "end-planned"))
@dataclass
class Org:
    ref: str | None
    name: str
    type_code: str | None

    @classmethod
    def of(cls, el: ET.Element | None) -> "Org | None":
        if el is None:
            return None
        org = cls(attr(el, "ref"), text_of(el), attr(el, "type"))
        return org if partner_id(org.ref, org.name) else None


@dataclass
class Flow:
    """One transaction that passed every check, amount in cents."""

    kind: str
    source_type: str
    amount: Decimal
    currency: str
    day: date
    value_day: date
    partner: Org | None  # who funds it; for pass-through, who passes it on
    receiver: Org | None  # pass-through only: who it was passed to
    split: Split
    index: int
    path: str
    finance_type: str
    reason: str = ""  # pass-through only: why it is not counted here


def _vocabulary(value: str | None) -> str:
    return "1" if value is None or value.upper() == "DAC" else value


def iter_files(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        elif path.is_file():
            yield path
        else:
            raise ImportFailure(f"{path}: no such file or folder")


def import_iati(paths: Iterable[str | Path], out_dir: str | Path, regions_dir: str | Path | None = None,
                progress: Progress | None = None, workers: int | None = None,
                log: Callable[[str], None] | None = None) -> ImportSummary:
    """Import IATI activity files (files or folders of *.xml) into the package at `out_dir`.

    Several files (over 16 MB in all) are surveyed and mapped file by file in `workers`
    processes (default: IMPORT_WORKERS, else one per core; 1: in this process), with the
    same output as one after another (iati_parallel.py). `log` receives progress lines
    (files done, MB/s)."""
    from pipelines.importers.iati_parallel import import_in_parallel, workers_for

    files = list(iter_files(paths, (".xml",)))
    session = ImportSession(out_dir, regions_dir)
    try:
        processes = workers_for(files, workers)
        if processes > 1:
            import_in_parallel(files, session, regions_dir, processes, progress, log)
        else:
            started = time.monotonic()
            survey = survey_files(files)
            for path in files:
                IatiFile(path, session, progress, survey).run()
            if log and files:
                seconds = time.monotonic() - started
                megabytes = sum(p.stat().st_size for p in files) / 1e6
                log(f"import: {len(files)}/{len(files)} files, {megabytes:,.1f} MB in {seconds:.1f} s "
                    f"({megabytes / max(seconds, 1e-9):.1f} MB/s)")
    except BaseException:
        session.writer.abort()  # the package in out_dir stays as it was
        raise
    return session.finish()


class IatiFile:
    def __init__(self, path: Path, session: ImportSession, progress: Progress | None, survey: Survey,
                 activities: Iterable[ET.Element] | None = None):
        """`activities`: the file's activities already read (a parallel worker reads a small
        file once for the survey and the mapping); an iterable that raises the file's
        ET.ParseError, if any, after the activities before it."""
        self.path, self.session, self.progress, self.survey = path, session, progress, survey
        self.given = activities
        self.name = session.start_file(path)

    def run(self) -> None:
        try:
            self._map_activities()
        except ET.ParseError as error:
            message = f"not well-formed XML ({error}); activities before that point were imported"
            self.session.writer.reject(self.name, f"line {error.position[0]}", message, record="file")
            self.session.summary.errors.append(f"{self.name}: {message}")
        except InputLimit as error:
            message = f"{str(error).removeprefix(self.name + ': ')}; activities before that point were imported"
            self.session.writer.reject(self.name, "file", message, record="file")
            self.session.summary.errors.append(f"{self.name}: {message}")

    def _activities(self) -> Iterator[ET.Element]:
        if self.given is not None:
            yield from self.given
            return
        total = self.path.stat().st_size
        last_report = 0.0
        with self.path.open("rb") as raw, BoundedReader(raw, self.name) as f:
            for el in iter_activities(f):
                yield el
                if self.progress and time.monotonic() - last_report > 1:
                    last_report = time.monotonic()
                    self.progress(self.name, f.read_bytes, total)
        if self.progress:
            self.progress(self.name, total, total)

    def _map_activities(self) -> None:
        for number, el in enumerate(self._activities(), start=1):
            self.session.summary.activities += 1
            ActivityMapper(el, number, self).run()


class ActivityMapper:
    """Maps one iati-activity element onto package rows."""

    def __init__(self, el: ET.Element, number: int, file: IatiFile):
        self.el, self.file, self.session = el, file, file.session
        self.writer = file.session.writer
        ident_el = kid(el, "iati-identifier")
        self.ident = clean_text(ident_el.text) if ident_el is not None else ""
        self.path = f"iati-activity[{number}]" + (f" {self.ident}" if self.ident else "")
        if not self.ident:
            self.ident = f"{file.path.stem}#activity{number}"
            self.writer.note(file.name, self.path, f"no iati-identifier: id {self.ident!r} used")
        self.survey = file.survey
        self.covered = self.ident in self.survey.covered_parents
        self.default_currency = (attr(el, "default-currency") or "").upper() or None
        self.reporting = Org.of(kid(el, "reporting-org"))
        funders = [Org.of(p) for p in kids(el, "participating-org") if (attr(p, "role") or "").lower() in ("1", "funding")]
        self.funder = next((org for org in funders if org), None)
        self.title = text_of(kid(el, "title")) or self.ident
        self.finance_type = attr(kid(el, "default-finance-type"), "code") or ""
        self.notes: list[str] = []
        self.split = self._split(el)
        # the role of the activity decides what each flow counts as (flows.py)
        codes = {(attr(kid(tx, "transaction-type"), "code") or "").upper() for tx in kids(el, "transaction")}
        self.receiver = is_receiver(codes)
        self.funds = reporter_funds(codes, self._reporter_is_funding_org(funders))

    def _reporter_is_funding_org(self, funders: list[Org | None]) -> bool:
        if self.reporting is None:
            return False
        same = {(self.reporting.ref or "").upper(), self.reporting.name.casefold()} - {""}
        return any(org and ({(org.ref or "").upper(), org.name.casefold()} & same) for org in funders)

    # --- checks on one transaction -------------------------------------------------

    def _raw_money(self, tx: ET.Element) -> tuple[str, str, str]:
        """(type code, currency, amount) as published, for a reject row."""
        value = kid(tx, "value")
        code = (attr(kid(tx, "transaction-type"), "code") or "").upper()
        currency = ((attr(value, "currency") or "").upper() or self.default_currency or "")
        amount = parse_amount(value.text if value is not None else None)
        return code, currency, "" if amount is None else str(amount)

    def _reject(self, tx: ET.Element, path: str, reason: str, amount: Decimal | None = None) -> None:
        code, currency, raw_amount = self._raw_money(tx)
        self.writer.reject(self.file.name, path, reason, record="transaction", source_type=code,
                           currency=currency, amount=raw_amount if amount is None else str(amount))

    def _flow(self, tx: ET.Element, index: int) -> Flow | None:
        path = f"{self.path}/transaction[{index}]"
        type_el = kid(tx, "transaction-type")
        code = (attr(type_el, "code") or "").upper()
        if not code:
            found = clean_text(type_el.text) if type_el is not None else ""
            return self._reject(tx, path, f"transaction-type has no @code (element text {found!r})")
        kind = classify(code, self.receiver, self.funds)
        if kind is None:
            return self._reject(tx, path, why_not_money(code))
        value = kid(tx, "value")
        amount = parse_amount(value.text if value is not None else None)
        if amount is None:
            text = clean_text(value.text) if value is not None else ""
            problem = amount_problem(text) if text else "no value"
            return self._reject(tx, path, f"value {text[:40]!r}{'…' if len(text) > 40 else ''}: {problem}"
                                if text else "value is empty")
        currency = (attr(value, "currency") or "").upper() or self.default_currency
        if not currency:
            return self._reject(tx, path, "no value/@currency and no activity default-currency")
        if currency not in self.session.currencies:
            return self._reject(tx, path, f"currency {currency!r} is not an ISO 4217 code")
        date_el = kid(tx, "transaction-date")
        day = parse_iso_date(attr(date_el, "iso-date")) or parse_iso_date(date_el.text if date_el is not None else None)
        value_day = parse_iso_date(attr(value, "value-date"))
        if day is None and value_day is not None:
            day = value_day
            self.notes.append(f"transaction[{index}] has no transaction-date: value-date {day} used")
        if day is None:
            return self._reject(tx, path, "no transaction-date or value-date")
        value_day = value_day or day
        for needed in (day, value_day):
            if not self.session.rates.covers(currency, needed):
                return self._reject(tx, path, f"no {currency} exchange rate on or before {needed} (package fx_rates or IMF table)")
        cents, remainder = to_cents(amount)
        if remainder:
            self._reject(tx, path, f"value {amount} has more than 2 decimals: remainder dropped when rounding to {cents}", amount=remainder)
        partner, receiver, reason = None, Org.of(kid(tx, "receiver-org")), ""
        if kind == PASS_THROUGH:
            partner = Org.of(kid(tx, "provider-org")) or self.reporting
            reason = "passed on by an activity that reports money received (types 1, 11, 13): counted where it came in"
        elif kind != SPENDING:
            partner = Org.of(kid(tx, "provider-org")) or self.funder or self.reporting
            if partner is None:
                return self._reject(tx, path, "no provider-org, funding participating-org or reporting-org to name the partner", amount=cents)
            if code not in EXPENDITURE and not self.receiver:
                # a funder's outgoing flow that the receiving organisation reports too
                known = self.survey.receives(attr(kid(tx, "receiver-org"), "receiver-activity-id"),
                                             receiver.ref if receiver else None,
                                             (partner.ref, self.reporting.ref if self.reporting else None), kind)
                if known:
                    kind, reason = PASS_THROUGH, f"{known} in this import: counted there, where it came in"
        if self.session.rates.implausible(cents, currency, value_day):
            self.notes.append(f"transaction[{index}] value {cents} {currency} is over EUR 10 billion: kept as published, check the source")
        split = self._split(tx) if self._places(tx) else self.split
        finance_type = attr(kid(tx, "finance-type"), "code") or self.finance_type
        return Flow(kind, code, cents, currency, day, value_day, partner, receiver, split, index, path, finance_type, reason)

    # --- geography -----------------------------------------------------------------

    @staticmethod
    def _places(el: ET.Element) -> list[Place]:
        places = [Place("country", (attr(c, "code") or "").upper(), parse_amount(attr(c, "percentage")))
                  for c in kids(el, "recipient-country") if attr(c, "code")]
        # 1.0x writes vocab= and may name the DAC vocabulary by word; missing means DAC
        places += [Place("region", attr(r, "code"), parse_amount(attr(r, "percentage")),
                         _vocabulary(attr(r, "vocabulary") or attr(r, "vocab")))
                   for r in kids(el, "recipient-region") if attr(r, "code")]
        return places

    def _split(self, el: ET.Element) -> Split:
        split = self.session.regions.split(self._places(el))
        where = "activity" if el is self.el else "transaction"
        for note in split.notes:
            if note.startswith("percentages sum"):
                self.session.summary.normalised += 1
            self.notes.append(f"{where} geography: {note}")
        return split

    # --- the activity ----------------------------------------------------------------

    def run(self) -> None:
        transactions = kids(self.el, "transaction")
        for tx in transactions:
            code, currency, amount = self._raw_money(tx)
            if amount:
                self.writer.reconciliation.published(self.file.name, currency, code, Decimal(amount))
        if self.ident in self.session.seen_ids:
            for i, tx in enumerate(transactions, start=1):
                self._reject(tx, f"{self.path}/transaction[{i}]", "duplicate iati-identifier: this activity was already imported in this run")
            return
        self.session.seen_ids.add(self.ident)
        if self.covered:
            for i, tx in enumerate(transactions, start=1):
                self._reject(tx, f"{self.path}/transaction[{i}]", "parent activity whose components also report transactions: money counted at component level only")
            transactions = []
        flows = [flow for i, tx in enumerate(transactions, start=1) if (flow := self._flow(tx, i))]
        agreements = self._agreements([f for f in flows if f.kind == "commitment"])
        for flow in flows:
            if flow.kind == SUPPORT:
                self._income(flow, agreements)
            elif flow.kind == SPENDING:
                self._expenditure(flow)
            elif flow.kind == PASS_THROUGH:
                self._pass_through(flow)
        self._write_agreements(agreements)
        self._outcomes()
        for note in dict.fromkeys(self.notes):
            self.writer.note(self.file.name, self.path, note)

    def _partner_key(self, flow: Flow) -> str:
        org = flow.partner
        pid = partner_id(org.ref, org.name)
        self.session.partner(pid, org.name, partner_type(org.type_code, org.ref, default="ngo"), org.ref)
        return pid

    def _agreements(self, commitments: list[Flow]) -> dict[tuple[str, str, str], dict]:
        """Commitments summed per partner x currency x region. Where such a sum is
        negative (de-obligations exceeding what was committed there), that region's parts
        are rejected, since committed_amount must be >= 0; other regions keep theirs."""
        parts: dict[tuple[str, str, str], list[tuple[Flow, Decimal]]] = defaultdict(list)
        for flow in commitments:
            pid = self._partner_key(flow)
            for region, part in split_by_shares(flow.amount, flow.split.shares).items():
                parts[(pid, flow.currency, region)].append((flow, part))
        agreements: dict[tuple[str, str, str], dict] = {}
        for (pid, currency, region), members in parts.items():
            total = sum(part for _, part in members)
            if total < 0:
                for flow, part in members:
                    self.writer.reject(self.file.name, flow.path,
                                       f"commitments of {pid} in {currency} to {region} sum to {total}: committed_amount must be >= 0 (this commitment's {region} part rejected)",
                                       record="transaction", source_type=flow.source_type, currency=currency, amount=str(part))
                continue
            agreement = self._agreement(agreements, pid, currency, region)
            for flow, part in members:
                agreement["committed"] += part
                agreement["days"].append(flow.day)
                self.writer.reconciliation.counted(self.file.name, currency, flow.source_type, "commitment", part)
        return agreements

    def _agreement(self, agreements: dict, pid: str, currency: str, region: str) -> dict:
        key = (pid, currency, region)
        if key not in agreements:
            agreements[key] = {"id": f"{self.ident}~{pid}~{currency}~{region}", "committed": Decimal(0), "days": []}
        return agreements[key]

    def _income(self, flow: Flow, agreements: dict) -> None:
        pid = self._partner_key(flow)
        if flow.source_type in EXPENDITURE:
            self.notes.append(f"transaction[{flow.index}] type {flow.source_type} (Expenditure) by a funder of the "
                              f"activity, paying suppliers directly: counted as support from {pid}")
        for region, part in split_by_shares(flow.amount, flow.split.shares).items():
            agreement = self._agreement(agreements, pid, flow.currency, region)
            agreement["days"].append(flow.day)
            self.writer.add("transactions", {
                "transaction_id": f"{self.ident}#{flow.index}~{region}", "agreement_id": agreement["id"],
                "transaction_date": flow.day.isoformat(), "transaction_type": "income",
                "amount": format_amount(part), "currency": flow.currency,
                "value_date": flow.value_day.isoformat(), "source_type": flow.source_type,
                "finance_type": flow.finance_type, "source_file": self.file.name,
            })

    def _expenditure(self, flow: Flow) -> None:
        for region, part in split_by_shares(flow.amount, flow.split.shares).items():
            self.session.used(None, region)
            self.writer.add("expenditures", {
                "expenditure_id": f"{self.ident}#{flow.index}~{region}", "region_code": region,
                "expenditure_date": flow.day.isoformat(), "amount": format_amount(part), "currency": flow.currency,
                "category": "programmes", "agreement_id": "", "value_date": flow.value_day.isoformat(),
                "source_type": flow.source_type, "source_file": self.file.name,
            })

    def _pass_through(self, flow: Flow) -> None:
        """Money this receiver passed on: kept in pass_through.csv, noted, never support."""
        name = TYPE_NAMES.get(flow.source_type, flow.source_type)
        self.notes.append(f"transaction[{flow.index}] type {flow.source_type} ({name}) {format_amount(flow.amount)} "
                          f"{flow.currency}: pass-through, not support ({flow.reason})")
        provider, receiver = flow.partner, flow.receiver
        for region, part in split_by_shares(flow.amount, flow.split.shares).items():
            self.writer.add("pass_through", {
                "pass_through_id": f"{self.ident}#{flow.index}~{region}", "activity_id": self.ident,
                "region_code": region, "flow_date": flow.day.isoformat(), "amount": format_amount(part),
                "currency": flow.currency, "source_type": flow.source_type,
                "provider": (provider.name or provider.ref) if provider else "",
                "receiver": (receiver.name or receiver.ref) if receiver else "",
                "reason": flow.reason, "source_file": self.file.name,
            })

    def _activity_date(self, types: tuple[tuple[str, str], ...]) -> date | None:
        found = {}
        for d in kids(self.el, "activity-date"):
            kind = (attr(d, "type") or "").lower()
            found.setdefault(kind, parse_iso_date(attr(d, "iso-date")) or parse_iso_date(d.text))
        for code, word in types:
            if found.get(code) or found.get(word):
                return found.get(code) or found.get(word)
        return None

    def _write_agreements(self, agreements: dict) -> None:
        start, end = self._activity_date(START_DATES), self._activity_date(END_DATES)
        for (pid, currency, region), agreement in agreements.items():
            first = start or min(agreement["days"])
            if not self.session.rates.covers(currency, first):
                self.notes.append(f"agreement {agreement['id']}: no {currency} rate at activity start {first}; first money date used")
                first = min(agreement["days"])
            last = end or max(agreement["days"])
            if last < first:
                self.notes.append(f"agreement {agreement['id']}: end {last} before start {first}; end set to {max([first, *agreement['days']])}")
                last = max([first, *agreement["days"]])
            self.session.used(pid, region)
            self.writer.add("agreements", {
                "agreement_id": agreement["id"], "partner_id": pid, "region_code": region, "title": self.title,
                "instrument": "grant", "start_date": first.isoformat(), "end_date": last.isoformat(),
                "committed_amount": format_amount(agreement["committed"]), "currency": currency, "renews": "",
                "finance_type": self.finance_type, "source_file": self.file.name, "source_id": self.ident,
            })

    def _outcomes(self) -> None:
        """result/indicator/period with numeric target and actual -> outcomes, in the
        activity's largest region (an indicator cannot be split); baseline 0 if absent."""
        skipped = 0
        region = self.split.largest()
        for r, result in enumerate(kids(self.el, "result"), start=1):
            for i, indicator in enumerate(kids(result, "indicator"), start=1):
                name = text_of(kid(indicator, "title")) or text_of(kid(result, "title"))
                baseline = parse_amount(attr(kid(indicator, "baseline"), "value")) or Decimal(0)
                for p, period in enumerate(kids(indicator, "period"), start=1):
                    end = parse_iso_date(attr(kid(period, "period-end"), "iso-date"))
                    target = parse_amount(attr(kid(period, "target"), "value"))
                    actual = parse_amount(attr(kid(period, "actual"), "value"))
                    if not (name and end and target is not None and actual is not None):
                        skipped += 1
                        continue
                    self.writer.add("outcomes", {
                        "outcome_id": f"{self.ident}#r{r}.{i}.{p}", "region_code": region, "agreement_id": "",
                        "indicator": name, "period_end": end.isoformat(), "baseline": format_number(baseline),
                        "target": format_number(target), "actual": format_number(actual), "source_file": self.file.name,
                    })
        if skipped:
            self.notes.append(f"{skipped} indicator period(s) without title, period-end, numeric target and actual: no outcome")
