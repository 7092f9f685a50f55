"""What an IATI transaction counts as, so that every flow of money is counted once, from
the side that receives it (IATI's guidance on avoiding double counting).

An activity that reports money it *received* (incoming funds 1 / IF, incoming commitment
11, incoming pledge 13) is a receiver: its incoming flows are the support, and what it
passes on (outgoing commitments 2 / C and disbursements 3 / D) is pass-through, already
counted where it came in. Its expenditure (4 / E) is its own spending in the region.

An activity that reports no money received is a funder's: its outgoing commitments are
commitments and its disbursements support to the recipient region. Its expenditure is
support too when the reporter funds the activity (it commits or disburses in it, or is a
Funding participating-org): a donor paying suppliers directly. Otherwise the reporter is
an implementer recording its own spending, which stays expenditure.

docs/importers.md has the table of cases and a worked example.
"""

from __future__ import annotations

INCOMING = {"1", "IF", "11", "13"}
COMMITMENT_OUT = {"2", "C"}
DISBURSEMENT_OUT = {"3", "D"}
EXPENDITURE = {"4", "E"}

TYPE_NAMES = {
    "1": "Incoming Funds",
    "IF": "Incoming Funds",
    "2": "Outgoing Commitment",
    "C": "Commitment",
    "3": "Disbursement",
    "D": "Disbursement",
    "4": "Expenditure",
    "E": "Expenditure",
    "5": "Interest Payment",
    "6": "Loan Repayment",
    "7": "Reimbursement",
    "8": "Purchase of Equity",
    "9": "Sale of Equity",
    "10": "Credit Guarantee",
    "11": "Incoming Commitment",
    "12": "Outgoing Pledge",
    "13": "Incoming Pledge",
    "IR": "Interest Repayment",
    "LR": "Loan Repayment",
    "R": "Reimbursement",
    "QP": "Purchase of Equity",
    "QS": "Sale of Equity",
    "CG": "Credit Guarantee",
}

# What a flow becomes: "income" (support), "commitment", "expenditure", "pass_through".
SUPPORT, COMMITMENT, SPENDING, PASS_THROUGH = "income", "commitment", "expenditure", "pass_through"


def is_receiver(codes: set[str]) -> bool:
    """Whether an activity reports money it received (its transaction-type codes)."""
    return bool(codes & INCOMING)


def reporter_funds(codes: set[str], reporter_is_funding_org: bool) -> bool:
    """Whether the reporter of a non-receiving activity puts its own money into it."""
    return reporter_is_funding_org or bool(codes & (COMMITMENT_OUT | DISBURSEMENT_OUT))


def classify(code: str, receiver: bool, funds: bool) -> str | None:
    """What one transaction-type code counts as; None when it is no support, commitment
    or spending at all (interest, repayments, equity, guarantees, pledges)."""
    if receiver:
        if code in ("1", "IF"):
            return SUPPORT
        if code == "11":
            return COMMITMENT
        if code in COMMITMENT_OUT | DISBURSEMENT_OUT:
            return PASS_THROUGH
        if code in EXPENDITURE:
            return SPENDING
        return None
    if code in COMMITMENT_OUT:
        return COMMITMENT
    if code in DISBURSEMENT_OUT:
        return SUPPORT
    if code in EXPENDITURE:
        return SUPPORT if funds else SPENDING
    return None


def why_not_money(code: str) -> str:
    return f"transaction type {code} ({TYPE_NAMES.get(code, 'unknown')}) is not a commitment, income or expenditure"
