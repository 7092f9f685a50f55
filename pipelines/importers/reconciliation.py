"""Where every published amount went: the reconciliation written to import_summary.csv.

Per source file, currency and type as published (IATI transaction-type code, or the
360Giving field `amountAwarded` / `amountDisbursed`), the money read is split into what
the package counts as support, as commitment, as the region's own expenditure, what it
keeps as pass-through (money passed on by a receiver, already counted where it came
in) and what was rejected. `unaccounted` is the published total minus all of those; it
is zero unless the importer has a bug, and the tests hold it to zero on every real file.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

OUTCOMES = ("support", "commitment", "expenditure", "pass_through", "rejected")
COLUMNS = ["file", "currency", "source_type", "published", *OUTCOMES, "unaccounted"]
# package table -> what a row of it counts as
TABLE_OUTCOMES = {"transactions": "support", "expenditures": "expenditure", "pass_through": "pass_through"}


class Reconciliation:
    def __init__(self) -> None:
        self._sums: dict[tuple[str, str, str], dict[str, Decimal]] = defaultdict(
            lambda: {"published": Decimal(0), **{o: Decimal(0) for o in OUTCOMES}}
        )

    def published(self, file: str, currency: str, source_type: str, amount: Decimal) -> None:
        self._sums[(file, currency, source_type)]["published"] += amount

    def counted(self, file: str, currency: str, source_type: str, outcome: str, amount: Decimal) -> None:
        self._sums[(file, currency, source_type)][outcome] += amount

    def sums(self) -> dict[tuple[str, str, str], dict[str, Decimal]]:
        """The running sums as a plain dict (what a parallel worker hands back)."""
        return {key: dict(value) for key, value in self._sums.items()}

    def merge(self, sums: dict[tuple[str, str, str], dict[str, Decimal]]) -> None:
        """Add another reconciliation's sums (exact: Decimal addition)."""
        for key, values in sums.items():
            mine = self._sums[key]
            for name, value in values.items():
                mine[name] += value

    def rows(self) -> list[dict[str, str]]:
        """One row per file x currency x type, amounts as plain decimals."""
        return [
            {
                "file": file,
                "currency": currency,
                "source_type": source_type,
                **{name: _plain(value) for name, value in sums.items()},
                "unaccounted": _plain(_unaccounted(sums)),
            }
            for (file, currency, source_type), sums in sorted(self._sums.items())
        ]

    def totals(self) -> dict[tuple[str, str], dict[str, Decimal]]:
        """The same summed over files: (currency, type) -> published, outcomes, unaccounted."""
        totals: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
            lambda: {"published": Decimal(0), **{o: Decimal(0) for o in OUTCOMES}}
        )
        for (_, currency, source_type), sums in self._sums.items():
            for name, value in sums.items():
                totals[(currency, source_type)][name] += value
        for sums in totals.values():
            sums["unaccounted"] = _unaccounted(sums)
        return dict(sorted(totals.items()))


def _unaccounted(sums: dict[str, Decimal]) -> Decimal:
    return sums["published"] - sum(sums[o] for o in OUTCOMES)


def _plain(value: Decimal) -> str:
    return format(value, "f")


HEADER = ["currency", "type", "published", *[o.replace("_", "-") for o in OUTCOMES], "unaccounted"]


def _cells(totals: dict[tuple[str, str], dict[str, Decimal]]) -> list[list[str]]:
    return [
        [currency, source_type or "(none)", *[f"{sums[name]:,.2f}" for name in ("published", *OUTCOMES, "unaccounted")]]
        for (currency, source_type), sums in totals.items()
    ]


def markdown(totals: dict[tuple[str, str], dict[str, Decimal]]) -> str:
    """The totals as a Markdown table (asset metadata in the Dagster UI)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|" + "---:|" * (len(HEADER) - 2)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in _cells(totals)])


def table_lines(totals: dict[tuple[str, str], dict[str, Decimal]]) -> list[str]:
    """The totals as a text table whose columns are as wide as their widest figure."""
    header, body = HEADER, _cells(totals)
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    return [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [header, *body]
    ]
