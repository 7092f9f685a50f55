"""The tables of a partner data package, as the load sees them: which columns a file must
contain, which it may leave out, the columns the load adds, and the order tables load in.

Declared in pipelines/schema/inputs.yml with every column's type and rules; the staging
queries (`sql/staging/<table>.sql`) get their generated parts from the same declaration.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.schema import INPUTS


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[str, ...]
    """Every contract column, in the order the staging table keeps them."""
    optional: tuple[str, ...] = ()
    """Columns a file may leave out entirely; their values may also be empty."""
    converted: tuple[str, ...] = ()
    """Columns the load adds: amounts in the reporting currency."""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.optional)

    @property
    def staging_columns(self) -> tuple[str, ...]:
        return self.columns + self.converted


# Parents before children: a foreign key is checked against rows already loaded.
TABLES: tuple[Table, ...] = tuple(
    Table(
        t.name,
        t.description,
        columns=tuple(c.name for c in t.columns if not c.converts),
        optional=tuple(c.name for c in t.columns if c.optional),
        converted=tuple(c.name for c in t.columns if c.converts),
    )
    for t in INPUTS
)

TABLE_NAMES = tuple(t.name for t in TABLES)

# Free text: may hold tab and line breaks (never other control characters); every other
# column is a code, id, date or number (pipelines/ingest/read.py, rule control_character).
FREE_TEXT = frozenset(c.name for t in INPUTS for c in t.columns if c.type == "text")
