"""From a published transaction to a `Flow`: checked (type, value, currency, date,
exchange rate, partner) and classified (what it counts as, flows.py, and whether the
receiving side reports it too, iati_survey.py), or the reasons it is rejected.

Nothing is written here: `check` returns the flow, the rejects (the published amount, or
the part given) and the notes, and the mapping (iati.py) writes them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pipelines.importers.flows import (
    EXPENDITURE,
    PASS_THROUGH,
    SPENDING,
    classify,
    is_receiver,
    reporter_funds,
    why_not_money,
)
from pipelines.importers.fx import RateBook
from pipelines.importers.geography import Split
from pipelines.importers.iati_activity import Activity, Org, Transaction
from pipelines.importers.iati_survey import Survey
from pipelines.importers.money import amount_problem, to_cents

RECEIVER_PASSES_ON = "passed on by an activity that reports money received (types 1, 11, 13): counted where it came in"


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
    index: int
    path: str
    finance_type: str
    reason: str = ""  # pass-through only: why it is not counted here
    split: Split | None = None  # its regions (iati_regions.py), set once the flow is kept


@dataclass
class Checked:
    flow: Flow | None = None
    rejects: list[tuple[str, Decimal | None]] = field(default_factory=list)  # (reason, amount if not the published)
    notes: list[str] = field(default_factory=list)

    def reject(self, reason: str, amount: Decimal | None = None) -> Checked:
        self.rejects.append((reason, amount))
        return self


@dataclass
class Role:
    """What the activity's own transactions say of it (flows.py)."""

    receiver: bool  # it reports money received
    funds: bool  # its reporter puts its own money in

    @classmethod
    def of(cls, activity: Activity) -> Role:
        codes = {tx.code for tx in activity.transactions}
        return cls(is_receiver(codes), reporter_funds(codes, _reporter_is_funding_org(activity)))


def _reporter_is_funding_org(activity: Activity) -> bool:
    if activity.reporting is None:
        return False
    same = {(activity.reporting.ref or "").upper(), activity.reporting.name.casefold()} - {""}
    return any(org and ({(org.ref or "").upper(), org.name.casefold()} & same) for org in activity.funders)


def check(
    tx: Transaction, activity: Activity, role: Role, currencies: Collection[str], rates: RateBook, survey: Survey
) -> Checked:
    """The transaction as a Flow, or why not (the first failed check; a remainder below a
    cent is rejected on its own and the flow goes on)."""
    out = Checked()
    path = f"{activity.path}/transaction[{tx.index}]"
    code = tx.code
    if not code:
        return out.reject(f"transaction-type has no @code (element text {tx.type_text()!r})")
    kind = classify(code, role.receiver, role.funds)
    if kind is None:
        return out.reject(why_not_money(code))
    amount = tx.amount
    if amount is None:
        text = tx.value_text()
        problem = amount_problem(text) if text else "no value"
        return out.reject(
            f"value {text[:40]!r}{'…' if len(text) > 40 else ''}: {problem}" if text else "value is empty"
        )
    currency = tx.currency
    if not currency:
        return out.reject("no value/@currency and no activity default-currency")
    if currency not in currencies:
        return out.reject(f"currency {currency!r} is not an ISO 4217 code")
    day, value_day = tx.dates()
    if day is None and value_day is not None:
        day = value_day
        out.notes.append(f"transaction[{tx.index}] has no transaction-date: value-date {day} used")
    if day is None:
        return out.reject("no transaction-date or value-date")
    value_day = value_day or day
    for needed in (day, value_day):
        if not rates.covers(currency, needed):
            return out.reject(f"no {currency} exchange rate on or before {needed} (package fx_rates or IMF table)")
    cents, remainder = to_cents(amount)
    if remainder:
        out.reject(
            f"value {amount} has more than 2 decimals: remainder dropped when rounding to {cents}", amount=remainder
        )
    partner, receiver, reason = None, tx.receiver(), ""
    if kind == PASS_THROUGH:
        partner, reason = tx.provider() or activity.reporting, RECEIVER_PASSES_ON
    elif kind != SPENDING:
        partner = tx.provider() or activity.funder or activity.reporting
        if partner is None:
            return out.reject(
                "no provider-org, funding participating-org or reporting-org to name the partner", amount=cents
            )
        if code not in EXPENDITURE and not role.receiver:
            # a funder's outgoing flow that the receiving organisation reports too
            reporter = activity.reporting.ref if activity.reporting else None
            known = survey.receives(
                tx.receiver_activity_id(), receiver.ref if receiver else None, (partner.ref, reporter), kind
            )
            if known:
                kind, reason = PASS_THROUGH, f"{known} in this import: counted there, where it came in"
    if rates.implausible(cents, currency, value_day):
        out.notes.append(
            f"transaction[{tx.index}] value {cents} {currency} is over EUR 10 billion: "
            "kept as published, check the source"
        )
    finance_type = tx.finance_type() or activity.finance_type
    out.flow = Flow(
        kind, code, cents, currency, day, value_day, partner, receiver, tx.index, path, finance_type, reason
    )
    return out
