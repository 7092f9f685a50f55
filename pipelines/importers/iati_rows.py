"""Writing an IATI activity's package rows: income, expenditures, pass-through money,
agreements and outcomes, from flows already checked (iati_flows.py) and placed in regions
(iati_regions.py). Ids and columns are described in docs/importers.md."""

from __future__ import annotations

from pipelines.importers.flows import EXPENDITURE, TYPE_NAMES
from pipelines.importers.fx import RateBook
from pipelines.importers.iati_activity import END_DATES, START_DATES, Activity
from pipelines.importers.iati_flows import Flow
from pipelines.importers.iati_regions import Agreements
from pipelines.importers.money import format_amount, format_number, split_by_shares
from pipelines.importers.package import PartWriter


class ActivityRows:
    """The rows of one activity, written to `writer`; what they note goes to `notes`."""

    def __init__(self, writer: PartWriter, file: str, activity: Activity, notes: list[str]):
        self.writer, self.file, self.activity, self.notes = writer, file, activity, notes
        self.ident = activity.ident

    def income(self, flow: Flow, pid: str, agreements: Agreements) -> None:
        """Support from `pid`, one transaction row per region, against that region's agreement."""
        if flow.source_type in EXPENDITURE:
            self.notes.append(
                f"transaction[{flow.index}] type {flow.source_type} (Expenditure) by a funder of the "
                f"activity, paying suppliers directly: counted as support from {pid}"
            )
        for region, part in split_by_shares(flow.amount, flow.split.shares).items():
            agreement = agreements.get(pid, flow.currency, region)
            agreement.days.append(flow.day)
            self.writer.add(
                "transactions",
                {
                    "transaction_id": f"{self.ident}#{flow.index}~{region}",
                    "agreement_id": agreement.id,
                    "transaction_date": flow.day.isoformat(),
                    "transaction_type": "income",
                    "amount": format_amount(part),
                    "currency": flow.currency,
                    "value_date": flow.value_day.isoformat(),
                    "source_type": flow.source_type,
                    "finance_type": flow.finance_type,
                    "source_file": self.file,
                },
            )

    def expenditure(self, flow: Flow) -> list[str]:
        """The activity's own spending, one row per region; returns the regions."""
        regions = []
        for region, part in split_by_shares(flow.amount, flow.split.shares).items():
            regions.append(region)
            self.writer.add(
                "expenditures",
                {
                    "expenditure_id": f"{self.ident}#{flow.index}~{region}",
                    "region_code": region,
                    "expenditure_date": flow.day.isoformat(),
                    "amount": format_amount(part),
                    "currency": flow.currency,
                    "category": "programmes",
                    "agreement_id": "",
                    "value_date": flow.value_day.isoformat(),
                    "source_type": flow.source_type,
                    "source_file": self.file,
                },
            )
        return regions

    def pass_through(self, flow: Flow) -> None:
        """Money this receiver passed on: kept in pass_through.csv, noted, never support."""
        name = TYPE_NAMES.get(flow.source_type, flow.source_type)
        self.notes.append(
            f"transaction[{flow.index}] type {flow.source_type} ({name}) {format_amount(flow.amount)} "
            f"{flow.currency}: pass-through, not support ({flow.reason})"
        )
        provider, receiver = flow.partner, flow.receiver
        for region, part in split_by_shares(flow.amount, flow.split.shares).items():
            self.writer.add(
                "pass_through",
                {
                    "pass_through_id": f"{self.ident}#{flow.index}~{region}",
                    "activity_id": self.ident,
                    "region_code": region,
                    "flow_date": flow.day.isoformat(),
                    "amount": format_amount(part),
                    "currency": flow.currency,
                    "source_type": flow.source_type,
                    "provider": (provider.name or provider.ref) if provider else "",
                    "receiver": (receiver.name or receiver.ref) if receiver else "",
                    "reason": flow.reason,
                    "source_file": self.file,
                },
            )

    def agreements(self, agreements: Agreements, rates: RateBook) -> list[tuple[str, str]]:
        """One row per agreement, from the activity's start (else its first money) to its
        end (else its last money); returns the (partner, region) pairs."""
        activity = self.activity
        start, end = activity.date(START_DATES), activity.date(END_DATES)
        written = []
        for (pid, currency, region), agreement in agreements.by_key.items():
            first = start or min(agreement.days)
            if not rates.covers(currency, first):
                self.notes.append(
                    f"agreement {agreement.id}: no {currency} rate at activity start {first}; first money date used"
                )
                first = min(agreement.days)
            last = end or max(agreement.days)
            if last < first:
                self.notes.append(
                    f"agreement {agreement.id}: end {last} before start {first}; "
                    f"end set to {max([first, *agreement.days])}"
                )
                last = max([first, *agreement.days])
            written.append((pid, region))
            self.writer.add(
                "agreements",
                {
                    "agreement_id": agreement.id,
                    "partner_id": pid,
                    "region_code": region,
                    "title": activity.title,
                    "instrument": "grant",
                    "start_date": first.isoformat(),
                    "end_date": last.isoformat(),
                    "committed_amount": format_amount(agreement.committed),
                    "currency": currency,
                    "renews": "",
                    "finance_type": activity.finance_type,
                    "source_file": self.file,
                    "source_id": self.ident,
                },
            )
        return written

    def outcomes(self, region: str) -> None:
        """result/indicator/period with numeric target and actual -> outcomes, in `region`
        (the activity's largest: an indicator cannot be split); baseline 0 if absent."""
        skipped = 0
        for period in self.activity.indicator_periods():
            if not (period.name and period.end and period.target is not None and period.actual is not None):
                skipped += 1
                continue
            self.writer.add(
                "outcomes",
                {
                    "outcome_id": f"{self.ident}#r{period.ref}",
                    "region_code": region,
                    "agreement_id": "",
                    "indicator": period.name,
                    "period_end": period.end.isoformat(),
                    "baseline": format_number(period.baseline),
                    "target": format_number(period.target),
                    "actual": format_number(period.actual),
                    "source_file": self.file,
                },
            )
        if skipped:
            self.notes.append(
                f"{skipped} indicator period(s) without title, period-end, numeric target and actual: no outcome"
            )
