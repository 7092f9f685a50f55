"""The staging tables as Polars frames with the columns and types the metrics use.

The facts are compacted first, without losing anything a metric reads: transactions
summed per agreement, type and day, expenditures per region and day, interactions one
per partner, region and day. Every metric sums money, counts distinct partners or dates,
or takes a first or last date, so the marts are the same as from the raw rows; at ten
million transactions over a few hundred agreements this leaves a few hundred thousand rows.

Every fact frame carries a `region_code`. The global row 'ALL' is computed from the same
facts as the regions (not averaged from regional figures): `with_all` adds a copy of
each row under region 'ALL', `sums_with_all` and `partners_with_all` add the 'ALL' rows of an
aggregate computed per region (sums over the regions, distinct partners across them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.schema import input_table

# The region code of the whole organisation's rows (metrics.md: "a global row with
# region_code = 'ALL'"). Not to be confused with the importers' GLOBAL region
# (pipelines/importers/geography.py), a real region: money with no usable geography.
ALL = "ALL"
MONEY = pl.Decimal(18, 2)

# staging table -> the columns the metrics read, with their types (pipelines/schema/inputs.yml).
COLUMNS: dict[str, dict[str, pl.DataType]] = {
    name: {c: input_table(name).column(c).polars_type for c in columns}
    for name, columns in {
        "regions": ["region_code"],
        "partners": ["partner_id", "name", "partner_type", "since"],
        "agreements": [
            "agreement_id",
            "partner_id",
            "region_code",
            "title",
            "start_date",
            "end_date",
            "committed_eur",
            "renews",
        ],
        "transactions": ["agreement_id", "transaction_date", "transaction_type", "amount_eur"],
        "expenditures": ["region_code", "expenditure_date", "amount_eur"],
        "activities": ["region_code", "start_date", "participants", "libraries_reached"],
        "interactions": ["partner_id", "region_code", "interaction_date"],
        "outcomes": ["region_code", "period_end", "baseline", "target", "actual"],
    }.items()
}


class MetricsInputError(ValueError):
    """The staging tables cannot be used for the metrics; the message says which and why."""


@dataclass(frozen=True)
class Facts:
    region_codes: list[str]  # the regions of staging.regions, sorted, without 'ALL'
    partners: pl.DataFrame
    agreements: pl.DataFrame  # one row per agreement, with `renewed` (bool)
    transactions: pl.DataFrame  # income and in kind per agreement, type and day, with its partner and region
    expenditures: pl.DataFrame  # per region and day
    activities: pl.DataFrame
    interactions: pl.DataFrame  # one row per partner, region and day
    outcomes: pl.DataFrame

    def rows(self) -> int:
        """Rows of the compacted facts (what the metrics work from)."""
        return sum(
            frame.height
            for frame in (
                self.partners,
                self.agreements,
                self.transactions,
                self.expenditures,
                self.activities,
                self.interactions,
                self.outcomes,
            )
        )

    def dated_span(self) -> tuple[date | None, date | None]:
        """Earliest and latest date of a recorded event: the span the periods cover.

        Agreement and outcome dates are left out: an agreement's end date can lie years
        ahead, and no money, spending, activity or contact has happened there yet.
        """
        dates = pl.concat(
            [
                self.transactions.select(day=pl.col("transaction_date")),
                self.expenditures.select(day=pl.col("expenditure_date")),
                self.activities.select(day=pl.col("start_date")),
                self.interactions.select(day=pl.col("interaction_date")),
            ]
        )
        return dates["day"].min(), dates["day"].max()


def prepare_facts(frames: Mapping[str, pl.DataFrame], renewal_window_days: int = 180) -> Facts:
    """Select and type the columns the metrics need; mark renewed agreements."""
    typed = {name: _typed(frames, name, columns) for name, columns in COLUMNS.items()}
    region_codes = sorted(typed["regions"]["region_code"].unique().to_list())
    if ALL in region_codes:
        raise MetricsInputError(
            f"staging.regions has a region coded {ALL!r}, the code the marts reserve for the global row"
        )
    agreements = typed["agreements"]
    # A day's sum is cast back to DECIMAL(18,2), the type of the amounts it adds up.
    transactions = (
        typed["transactions"]
        .lazy()
        .filter(pl.col("transaction_type").is_in(["income", "in_kind"]))
        .group_by("agreement_id", "transaction_type", "transaction_date")
        .agg(pl.col("amount_eur").sum().cast(MONEY))
        .join(agreements.lazy().select("agreement_id", "partner_id", "region_code"), on="agreement_id", how="inner")
    )
    expenditures = (
        typed["expenditures"]
        .lazy()
        .group_by("region_code", "expenditure_date")
        .agg(pl.col("amount_eur").sum().cast(MONEY))
    )
    transactions, expenditures, interactions = pl.collect_all(
        [transactions, expenditures, typed["interactions"].lazy().unique()]
    )
    return Facts(
        region_codes=region_codes,
        partners=typed["partners"],
        agreements=agreements.with_columns(renewed=_renewed(agreements, renewal_window_days)),
        transactions=transactions,
        expenditures=expenditures,
        activities=typed["activities"],
        interactions=interactions,
        outcomes=typed["outcomes"],
    )


def with_all(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows as they are plus a copy of each under region 'ALL'."""
    return pl.concat([frame, frame.with_columns(region_code=pl.lit(ALL))])


def sums_with_all(frame: pl.DataFrame, sums: list[str]) -> pl.DataFrame:
    """A per-region aggregate plus its 'ALL' rows: the `sums` columns added up over the regions,
    grouped by every other column."""
    keys = [c for c in frame.columns if c not in sums and c != "region_code"]
    total = (
        frame.group_by(keys)
        .agg(pl.col(c).sum().cast(frame.schema[c]) for c in sums)
        .with_columns(region_code=pl.lit(ALL))
    )
    return pl.concat([frame, total.select(frame.columns)])


def partners_with_all(frame: pl.DataFrame) -> pl.DataFrame:
    """Distinct (region_code, period, partner_id) rows plus the 'ALL' rows: each partner once
    per period if it appears in any region."""
    regional = frame.select("region_code", "period", "partner_id").unique()
    every = regional.select("period", "partner_id").unique().with_columns(region_code=pl.lit(ALL))
    return pl.concat([regional, every.select(regional.columns)])


def _typed(frames: Mapping[str, pl.DataFrame], name: str, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    if name not in frames:
        raise MetricsInputError(f"staging.{name} is missing: load a package first")
    frame = frames[name]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MetricsInputError(f"staging.{name} has no column {', '.join(missing)}")
    return frame.select(pl.col(c).cast(t) for c, t in columns.items())


def _renewed(agreements: pl.DataFrame, window_days: int) -> pl.Series:
    """True for an agreement another one continues: it names it in `renews`, or it has the
    same partner and region and starts after it, no later than its end + `window_days`."""
    named = agreements.filter(pl.col("renews").is_not_null() & (pl.col("renews") != pl.col("agreement_id")))["renews"]
    by_window = (
        agreements.select("agreement_id", "partner_id", "region_code", "start_date", "end_date")
        .join(
            agreements.select("partner_id", "region_code", next_id="agreement_id", next_start="start_date"),
            on=["partner_id", "region_code"],
        )
        .filter(
            (pl.col("next_id") != pl.col("agreement_id"))
            & (pl.col("next_start") > pl.col("start_date"))
            & (pl.col("next_start") <= pl.col("end_date") + pl.duration(days=window_days))
        )["agreement_id"]
    )
    return agreements["agreement_id"].is_in(named) | agreements["agreement_id"].is_in(by_window)
