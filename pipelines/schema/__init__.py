"""Every table's shape, declared once: the package's input tables (inputs.yml, which are
also the staging tables) and the published marts (marts.yml).

Each layer is one YAML file, as dbt's schema.yml: a list of tables anyone can read and
edit without reading Python, that the documentation can quote, and that this module turns
into Python objects once, at import. Everything else is derived from it:

- the load: required columns (`pipelines/ingest/contract.py`), the generated parts of the
  staging SQL (`staging_sql.py`: missing values, duplicate keys, types, vocabularies,
  references, the as-of conversion), the foreign-key and conversion checks;
- the marts: the Polars schema each computation publishes, the DuckDB types `write_marts`
  casts to, the column descriptions in the Dagster UI;
- the importers' package headers, and the tables of docs/warehouse.md (`docs.py`).

`python -m pipelines.schema --help` prints a staging query as it runs, or rewrites the docs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    import polars as pl

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Type:
    duckdb: str
    polars: Callable[[ModuleType], pl.DataType]
    """The Polars type, from the polars module: Polars is imported when a type is first
    asked for, not with the declarations, so the importers' worker processes read them
    without it (a tenth of a second of each import's start)."""


TYPES: dict[str, Type] = {
    "text": Type("VARCHAR", lambda pl: pl.String),  # free text: tab and line breaks allowed
    "code": Type("VARCHAR", lambda pl: pl.String),  # an id or a code
    "currency": Type("VARCHAR", lambda pl: pl.String),  # ISO 4217, upper-cased
    "date": Type("DATE", lambda pl: pl.Date),
    "money": Type("DECIMAL(18,2)", lambda pl: pl.Decimal(18, 2)),
    "rate": Type("DECIMAL(24,12)", lambda pl: pl.Decimal(24, 12)),
    "integer": Type("INTEGER", lambda pl: pl.Int32),
    "bigint": Type("BIGINT", lambda pl: pl.Int64),
    "double": Type("DOUBLE", lambda pl: pl.Float64),
    "boolean": Type("BOOLEAN", lambda pl: pl.Boolean),
    "text[]": Type("VARCHAR[]", lambda pl: pl.List(pl.String)),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    optional: bool = False
    extension: bool = False
    case: str | None = None
    vocabulary: tuple[str, ...] = ()
    references: tuple[str, str] | None = None
    """(table, column) the value must name."""
    converts: str | None = None
    """For a column the load adds: the amount column it converts (with `currency`, `rate_date`)."""
    currency: str | None = None
    rate_date: tuple[str, ...] = ()

    @property
    def duckdb_type(self) -> str:
        return TYPES[self.type].duckdb

    @property
    def polars_type(self) -> pl.DataType:
        import polars

        return TYPES[self.type].polars(polars)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    grain: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.polars_type for c in self.columns}

    def duckdb_types(self) -> dict[str, str]:
        return {c.name: c.duckdb_type for c in self.columns}

    def descriptions(self) -> dict[str, str]:
        return {c.name: c.description for c in self.columns}


class DeclarationError(ValueError):
    """A declaration file that does not follow the format its header describes."""


_TABLE_KEYS = {"description", "key", "grain", "columns"}
_COLUMN_KEYS = {
    "type",
    "description",
    "optional",
    "extension",
    "case",
    "vocabulary",
    "references",
    "converts",
    "currency",
    "rate_date",
}


def _column(where: str, name: str, spec: dict) -> Column:
    unknown = set(spec) - _COLUMN_KEYS
    if (
        unknown
        or spec.get("type") not in TYPES
        or not spec.get("description")
        or spec.get("case") not in (None, "upper")
    ):
        raise DeclarationError(
            f"{where}, column {name}: needs a type ({', '.join(TYPES)}) and a description; case can only be upper"
            + (f"; unknown {', '.join(sorted(unknown))}" if unknown else "")
        )
    references = spec.get("references")
    return Column(
        name,
        spec["type"],
        spec["description"],
        bool(spec.get("optional")),
        bool(spec.get("extension")),
        spec.get("case"),
        tuple(spec.get("vocabulary", ())),
        tuple(references.split(".")) if references else None,
        spec.get("converts"),
        spec.get("currency"),
        tuple(spec.get("rate_date", ())),
    )


def _tables(path: Path, specs: dict, extra_columns: tuple[Column, ...] = ()) -> tuple[Table, ...]:
    tables = []
    for name, spec in specs.items():
        where = f"{path.name}, table {name}"
        if set(spec) - _TABLE_KEYS or not spec.get("columns"):
            raise DeclarationError(f"{where}: needs columns; may have {', '.join(sorted(_TABLE_KEYS))}")
        columns = tuple(_column(where, c, s) for c, s in spec["columns"].items()) + extra_columns
        tables.append(Table(name, spec["description"], columns, tuple(spec.get("key", ())), spec.get("grain", "")))
    return tuple(tables)


def _read(name: str) -> dict:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


INPUTS: tuple[Table, ...] = _tables(HERE / "inputs.yml", _read("inputs.yml"))
"""The package's tables in load order (parents first); also the staging tables."""

_marts = _read("marts.yml")
FINGERPRINT: Column = _column(
    "marts.yml, every_mart_ends_with", "package_fingerprint", _marts["every_mart_ends_with"]["package_fingerprint"]
)
MARTS: tuple[Table, ...] = _tables(HERE / "marts.yml", _marts["marts"], (FINGERPRINT,))
"""The published marts; every one ends with `package_fingerprint`."""


def input_table(name: str) -> Table:
    return next(t for t in INPUTS if t.name == name)


def mart(name: str) -> Table:
    return next(t for t in MARTS if t.name == name)


def computed_schema(name: str) -> dict[str, pl.DataType]:
    """The columns a computation publishes for mart `name`, with their Polars types: all
    but `package_fingerprint`, which `write_marts` adds."""
    return {c: t for c, t in mart(name).polars_schema().items() if c != FINGERPRINT.name}


class MartColumnsError(RuntimeError):
    """A computation that publishes other columns than its mart declares."""


def published_schema(name: str, computed: Sequence[str], working: Collection[str] = ()) -> dict[str, pl.DataType]:
    """`computed_schema(name)`, after checking it against the columns a computation produced
    (`computed`): each declared column must be among them, and each of them declared or in
    `working` (figures computed on the way, not published). So a metric added to a
    computation and not to marts.yml fails every run and test instead of missing silently."""
    declared = computed_schema(name)
    missing = [c for c in declared if c not in computed]
    undeclared = [c for c in computed if c not in declared and c not in working]
    if missing or undeclared:
        raise MartColumnsError(
            f"marts.{name}: "
            + "; ".join(
                part
                for part in (
                    f"declared in pipelines/schema/marts.yml but not computed: {', '.join(missing)}" if missing else "",
                    f"computed but not declared in pipelines/schema/marts.yml: {', '.join(undeclared)}"
                    if undeclared
                    else "",
                )
                if part
            )
        )
    return declared
