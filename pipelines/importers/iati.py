"""IATI activity files (1.0x and 2.0x) -> partner data package.

Streams each file with `xml.etree.ElementTree.iterparse`, handling one `iati-activity`
at a time and dropping it afterwards, so memory stays bounded whatever the file size.
Elements and attributes are matched by local name, whatever their namespace.

One activity goes through four modules, each with one job: iati_activity.py reads it,
iati_flows.py checks and classifies each transaction, iati_regions.py places the money in
regions (and sums commitments into agreements), iati_rows.py writes the package rows;
`map_activity` below runs them in that order. The mapping and its refinements are
described in docs/importers.md.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path

from pipelines.collector import collector_paused
from pipelines.importers.flows import COMMITMENT, PASS_THROUGH, SPENDING, SUPPORT
from pipelines.importers.iati_activity import Activity, Transaction
from pipelines.importers.iati_flows import Flow, Role, check
from pipelines.importers.iati_regions import Agreements, place
from pipelines.importers.iati_rows import ActivityRows
from pipelines.importers.iati_survey import Survey, survey_files
from pipelines.importers.iati_xml import iter_activities
from pipelines.importers.limits import BoundedReader, InputLimit
from pipelines.importers.organisations import partner_id, partner_type
from pipelines.importers.package import ImportSummary
from pipelines.importers.session import ImportSession
from pipelines.importers.source_files import Progress, iter_files


def import_iati(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    regions_dir: str | Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
) -> ImportSummary:
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
                log(
                    f"import: {len(files)}/{len(files)} files, {megabytes:,.1f} MB in {seconds:.1f} s "
                    f"({megabytes / max(seconds, 1e-9):.1f} MB/s)"
                )
    except BaseException:
        session.writer.abort()  # the package in out_dir stays as it was
        raise
    return session.finish()


class IatiFile:
    def __init__(
        self,
        path: Path,
        session: ImportSession,
        progress: Progress | None,
        survey: Survey,
        activities: Iterable[ET.Element] | None = None,
    ):
        """`activities`: the file's activities already read (a parallel worker reads a small
        file once for the survey and the mapping); an iterable that raises the file's
        ET.ParseError, if any, after the activities before it."""
        self.path, self.session, self.progress, self.survey = path, session, progress, survey
        self.given = activities
        self.name = session.start_file(path)

    def run(self) -> None:
        try:
            with collector_paused(collect_young=False):
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
            map_activity(el, number, self)


def map_activity(el: ET.Element, number: int, file: IatiFile) -> None:
    """One iati-activity onto package rows: read, each transaction checked and classified,
    the money placed in regions, the rows written, then the activity's notes."""
    session, writer = file.session, file.session.writer
    activity = Activity(el, number, file.path.stem)
    if activity.ident_made:
        writer.note(file.name, activity.path, f"no iati-identifier: id {activity.ident!r} used")
    notes: list[str] = []
    split, normalised = place(session.regions, activity.places(), "activity", notes)
    session.summary.normalised += normalised
    covered = activity.ident in file.survey.covered_parents  # asked of every activity, as the survey records
    role = Role.of(activity)

    def reject(tx: Transaction, reason: str, amount: Decimal | None = None) -> None:
        """A reject row with the money as published (or `amount`, a part of it)."""
        amount = tx.amount if amount is None else amount
        writer.reject(
            file.name,
            f"{activity.path}/transaction[{tx.index}]",
            reason,
            record="transaction",
            source_type=tx.code,
            currency=tx.currency,
            amount="" if amount is None else str(amount),
        )

    transactions = activity.transactions
    for tx in transactions:
        if tx.amount is not None:
            writer.reconciliation.published(file.name, tx.currency, tx.code, tx.amount)
    if activity.ident in session.seen_ids:
        for tx in transactions:
            reject(tx, "duplicate iati-identifier: this activity was already imported in this run")
        return
    session.seen_ids.add(activity.ident)
    if covered:
        for tx in transactions:
            reject(
                tx, "parent activity whose components also report transactions: money counted at component level only"
            )
        transactions = []

    flows = []
    for tx in transactions:
        checked = check(tx, activity, role, session.currencies, session.rates, file.survey)
        for reason, amount in checked.rejects:
            reject(tx, reason, amount)
        notes += checked.notes
        if checked.flow is not None:
            own_places = tx.places()
            if own_places:
                checked.flow.split, normalised = place(session.regions, own_places, "transaction", notes)
                session.summary.normalised += normalised
            else:
                checked.flow.split = split
            flows.append(checked.flow)

    agreements = Agreements(activity.ident)
    committed, rejected = agreements.commit([(_partner(session, f), f) for f in flows if f.kind == COMMITMENT])
    for part, total in rejected:
        currency, region = part.flow.currency, part.region
        writer.reject(
            file.name,
            part.flow.path,
            f"commitments of {part.partner_id} in {currency} to {region} sum to {total}: committed_amount "
            f"must be >= 0 (this commitment's {region} part rejected)",
            record="transaction",
            source_type=part.flow.source_type,
            currency=currency,
            amount=str(part.amount),
        )
    for part in committed:
        writer.reconciliation.counted(file.name, part.flow.currency, part.flow.source_type, "commitment", part.amount)

    rows = ActivityRows(writer, file.name, activity, notes)
    for flow in flows:
        if flow.kind == SUPPORT:
            rows.income(flow, _partner(session, flow), agreements)
        elif flow.kind == SPENDING:
            for region in rows.expenditure(flow):
                session.used(None, region)
        elif flow.kind == PASS_THROUGH:
            rows.pass_through(flow)
    for pid, region in rows.agreements(agreements, session.rates):
        session.used(pid, region)
    rows.outcomes(split.largest())
    for note in dict.fromkeys(notes):
        writer.note(file.name, activity.path, note)


def _partner(session: ImportSession, flow: Flow) -> str:
    """The id of the flow's partner, registered with the session (first name and type win)."""
    org = flow.partner
    pid = partner_id(org.ref, org.name)
    session.partner(pid, org.name, partner_type(org.type_code, org.ref, default="ngo"), org.ref)
    return pid
