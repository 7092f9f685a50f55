"""The tables of a partner data package, as the data contract defines them.

Column rules (types, vocabularies, references) live in `sql/staging/<table>.sql`;
this module knows only what a file must contain and the order tables load in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[str, ...]
    """Every contract column, in the order the staging table keeps them."""
    optional: tuple[str, ...] = ()
    """Columns a file may leave out entirely; their values may also be empty.
    `value_date` is this project's extension: the date whose rate converts the amount
    (IATI's value-date), when it differs from the booking date."""
    converted: tuple[str, ...] = ()
    """Columns the load adds: amounts in the reporting currency."""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.optional)

    @property
    def staging_columns(self) -> tuple[str, ...]:
        return self.columns + self.converted


# Parents before children: a foreign key is checked against rows already loaded.
TABLES: tuple[Table, ...] = (
    Table("regions", "The federation's regional offices.", ("region_code", "region_name")),
    Table("countries", "Countries and the region each belongs to.", ("country_code", "country_name", "region_code")),
    Table(
        "partners", "Governments, foundations and organisations the federation works with.",
        ("partner_id", "name", "partner_type", "country_code", "since"),
        optional=("country_code", "since"),
    ),
    Table("fx_rates", "EUR per unit of each currency, by date.", ("currency", "rate_date", "eur_per_unit")),
    Table(
        "agreements", "Partnership agreements: who committed what to which region, for how long.",
        ("agreement_id", "partner_id", "region_code", "title", "instrument", "start_date",
         "end_date", "committed_amount", "currency", "renews"),
        optional=("title", "renews"),
        converted=("committed_eur",),
    ),
    Table(
        "transactions", "Income and in-kind support received against agreements (refunds negative).",
        ("transaction_id", "agreement_id", "transaction_date", "transaction_type", "amount", "currency",
         "value_date"),
        optional=("value_date",),
        converted=("amount_eur",),
    ),
    Table(
        "expenditures", "What each regional office spent.",
        ("expenditure_id", "region_code", "expenditure_date", "amount", "currency", "category",
         "agreement_id", "value_date"),
        optional=("agreement_id", "value_date"),
        converted=("amount_eur",),
    ),
    Table(
        "activities", "Workshops, trainings, conferences and other activities, with whom they reached.",
        ("activity_id", "region_code", "agreement_id", "title", "activity_type", "start_date",
         "end_date", "participants", "libraries_reached", "country_code"),
        optional=("agreement_id", "title", "country_code"),
    ),
    Table(
        "interactions", "Contacts with partners beyond the formal agreements.",
        ("interaction_id", "partner_id", "region_code", "interaction_date", "channel", "note"),
        optional=("note",),
    ),
    Table(
        "outcomes", "Outcome indicators: baseline, target and actual at a period end.",
        ("outcome_id", "region_code", "agreement_id", "indicator", "period_end", "baseline",
         "target", "actual"),
        optional=("agreement_id",),
    ),
)

TABLE_NAMES = tuple(t.name for t in TABLES)

# Free text: may hold tab and line breaks (never other control characters); every other
# column is a code, id, date or number (pipelines/ingest/read.py, rule control_character).
FREE_TEXT = frozenset({"region_name", "country_name", "name", "title", "note", "indicator"})

# Columns this project accepts beyond the data contract (see Table.optional).
EXTENSION_COLUMNS = ("value_date",)
