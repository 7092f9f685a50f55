"""The staging query of an input table: its template `sql/staging/<table>.sql` with the
parts that follow from the declaration (inputs.yml) filled in, at load time.

A template is the table's whole query. Its rules that are the table's own business (dates
in order, signs, ranges, an agreement renewing another) are written there; each `{{ name }}`
is replaced by one of the generated parts below, so the order of the rules (the first that
breaks names the reject) stays visible in the template:

    typed                CTEs `later` (lines whose key appeared before) and `typed`: every
                         column typed under its own name; the text as read of a column the
                         load parses or re-cases as `raw_<column>` (for the messages)
    as_of_rates          CTEs `dated`, `rates`, `converted`: the as-of conversion of a money table,
                         written once here (the rates once per currency and day, joined back)
    empty_and_missing    rules empty_row, control_character, missing_value (required columns)
    duplicate_key        rule duplicate_key (a key of one column; several: the template's own)
    parse_failures       rules bad_date, implausible_date, bad_amount, bad_number
    vocabularies         rule not_in_vocabulary
    foreign_keys         rule foreign_key (references to other tables)
    currencies           rule unknown_currency
    conversion_failures  rules missing_rate, bad_rate, amount_out_of_range
    staging_columns      the columns of staging.<table>, in declared order

The SQL macros these parts call (reject, iso_date, money, factor, ...) are in
sql/staging/_macros.sql. `python -m pipelines.schema --show-sql <table>` prints the result.
"""

from __future__ import annotations

import re

from pipelines.schema import Column, Table

PARSERS = {"date": "iso_date", "money": "money", "rate": "rate", "bigint": "whole_number", "double": "number"}
NUMBER_RULES = {  # type -> (rule, what the value is not)
    "money": ("bad_amount", "a decimal number with at most 2 decimals"),
    "rate": ("bad_number", "a positive decimal number"),
    "bigint": ("bad_number", "a whole number"),
    "double": ("bad_number", "a number"),
}
PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")


def staging_query(table: Table, template: str) -> str:
    """The template with every `{{ name }}` replaced by its generated SQL (a placeholder alone
    on its line whose part is empty for this table disappears with its line)."""
    parts = fragments(table)

    def fill(match: re.Match) -> str:
        line_start = template.rfind("\n", 0, match.start()) + 1
        indent = re.match(r"\s*", template[line_start : match.start()]).group()
        if match.group(1) not in parts:
            raise KeyError(f"sql/staging/{table.name}.sql: no generated part named {match.group(1)!r}")
        return parts[match.group(1)].replace("\n", "\n" + indent)

    query = PLACEHOLDER.sub(fill, template)
    return re.sub(r"\n[ \t]+(?=\n)", "", query)  # the lines of empty parts


def fragments(table: Table) -> dict[str, str]:
    data = [c for c in table.columns if not c.converts]
    converted = [c for c in table.columns if c.converts]
    return {
        "typed": _typed(table, data),
        "as_of_rates": _as_of_rates(converted[0]) if converted else "",
        "empty_and_missing": _rules(
            [("_blank", "reject('empty_row', 'the line has no values')"), ("_control IS NOT NULL", "_control")]
            + [(f"{_raw(c)} IS NULL", f"reject('missing_value', '{c.name} is empty')") for c in data if not c.optional]
        ),
        "duplicate_key": _rules(
            [
                (
                    "repeated",
                    f"reject('duplicate_key', '{k} ' || quoted({_raw(table.column(k))}) "
                    "|| ' already appears on an earlier line')",
                )
                for k in table.key
                if len(table.key) == 1
            ]
        ),
        "parse_failures": _rules(_parse_failures(data)),
        "vocabularies": _rules(
            [
                (
                    f"{c.name} NOT IN ({', '.join(_literal(v) for v in c.vocabulary)})",
                    f"reject('not_in_vocabulary', '{c.name} ' || quoted({_raw(c)}) || ' is not one of "
                    f"{', '.join(c.vocabulary)}')",
                )
                for c in data
                if c.vocabulary
            ]
        ),
        "foreign_keys": _rules(
            [
                (
                    ("" if not c.optional else f"{c.name} IS NOT NULL AND ")
                    + f"{c.name} NOT IN (SELECT {c.references[1]} FROM staging.{c.references[0]})",
                    f"reject('foreign_key', '{c.name} ' || quoted({_raw(c)}) || ' is not in {c.references[0]}')",
                )
                for c in data
                if c.references and c.references[0] != table.name
            ]
        ),
        "currencies": _rules(
            [
                (
                    f"{c.name} NOT IN (SELECT code FROM currencies)",
                    f"reject('unknown_currency', '{c.name} ' || quoted({_raw(c)}) || ' is not an ISO 4217 code')",
                )
                for c in data
                if c.type == "currency"
            ]
        ),
        "conversion_failures": _rules(_conversion_failures(table, converted[0])) if converted else "",
        "staging_columns": ",\n".join([c.name for c in data] + [f"to_reporting(wide) AS {c.name}" for c in converted]),
    }


def _typed(table: Table, data: list[Column]) -> str:
    key = ", ".join(_cased(table.column(k), f"src.{k}") for k in table.key)
    typed = [_parsed(c) for c in data]
    return "\n".join(
        [
            "-- The lines whose key already appears on an earlier line (rule duplicate_key): numbered",
            "-- over the key only, so that the wide rows are not partitioned and keep their file order.",
            "later AS (",
            "    SELECT _line AS line FROM (",
            f"        SELECT _line, row_number() OVER (PARTITION BY {key} ORDER BY _line) AS occurrence FROM src",
            "    ) WHERE occurrence > 1",
            "),",
            "-- Every column typed (NULL when its text does not parse); raw_<column>: the text as read",
            "-- (trimmed, or NULL) of a column that is parsed or re-cased.",
            "typed AS (",
            "    SELECT",
            "        src._line, src._blank, src._control,",
            *(f"        src.{c.name} AS raw_{c.name}," for c in data if _raw(c) != c.name),
            *(f"        {expression}," for expression in typed),
            "        later.line IS NOT NULL AS repeated",
            "    FROM src LEFT JOIN later ON later.line = src._line",
            ")",
        ]
    )


def _cased(column: Column, value: str) -> str:
    if column.case == "upper" or column.type == "currency":
        return f"upper({value})"
    if column.vocabulary:
        return f"lower({value})"
    return value


def _parsed(column: Column) -> str:
    value = _cased(column, f"src.{column.name}")
    if column.type in PARSERS:
        value = f"{PARSERS[column.type]}({value})"
    return value if value == f"src.{column.name}" else f"{value} AS {column.name}"


def _raw(column: Column) -> str:
    """The column as read: `raw_<column>` when the load types or re-cases it, else the column itself
    (one copy of an id or a text is cheaper for the wide tables)."""
    typed = _cased(column, "x") != "x" or column.type in PARSERS
    return f"raw_{column.name}" if typed else column.name


def _parse_failures(data: list[Column]) -> list[tuple[str, str]]:
    def unparsed(c: Column) -> str:
        return f"{_raw(c)} IS NOT NULL AND {c.name} IS NULL" if c.optional else f"{c.name} IS NULL"

    dates = [c for c in data if c.type == "date"]
    numbers = [c for c in data if c.type in NUMBER_RULES]
    return (
        [
            (unparsed(c), f"reject('bad_date', '{c.name} ' || quoted({_raw(c)}) || ' is not a date YYYY-MM-DD')")
            for c in dates
        ]
        + [(f"implausible({c.name})", f"implausible_date('{c.name}', {_raw(c)})") for c in dates]
        + [
            (
                unparsed(c),
                f"reject('{NUMBER_RULES[c.type][0]}', '{c.name} ' || quoted({_raw(c)}) || "
                f"' is not {NUMBER_RULES[c.type][1]}')",
            )
            for c in numbers
        ]
    )


def _rate_day(columns: tuple[str, ...], prefix: str = "") -> str:
    """The date whose rate converts the amount: the first of `columns` given."""
    names = [f"{prefix}{c}" for c in columns]
    return names[0] if len(names) == 1 else f"coalesce({', '.join(names)})"


def _as_of_rates(converted: Column) -> str:
    currency = converted.currency
    return "\n".join(
        [
            "-- The date whose rate converts the amount; the as-of rates, and the factor from them, once",
            "-- per currency and day that occur (a few thousand pairs however many rows), then joined to",
            "-- the rows by equality.",
            "dated AS (",
            f"    SELECT *, {_rate_day(converted.rate_date)} AS rate_day FROM typed",
            "),",
            "rates AS (",
            "    SELECT days.currency, days.rate_day, fx.eur_per_unit AS rate,",
            "           reporting.eur_per_unit AS reporting_rate,",
            "           factor(fx.eur_per_unit, reporting.eur_per_unit) AS fx_factor",
            f"    FROM (SELECT DISTINCT {_as(currency, 'currency')}, rate_day FROM dated) AS days",
            "    ASOF LEFT JOIN fx ON fx.currency = days.currency AND days.rate_day >= fx.rate_date",
            "    ASOF LEFT JOIN fx AS reporting",
            "        ON reporting.currency = getvariable('reporting_currency')",
            "        AND days.rate_day >= reporting.rate_date",
            "),",
            "converted AS (",
            "    SELECT dated.*, rates.rate, rates.reporting_rate, rates.fx_factor,",
            f"           converted_wide(dated.{converted.converts}, rates.fx_factor) AS wide",
            f"    FROM dated LEFT JOIN rates ON rates.currency = dated.{currency} AND rates.rate_day = dated.rate_day",
            ")",
        ]
    )


def _conversion_failures(table: Table, converted: Column) -> list[tuple[str, str]]:
    currency, amount = converted.currency, converted.converts
    converted_amount = table.column(amount)
    day = _rate_day(converted.rate_date, "raw_")  # dates: always typed, so kept as raw_<column>
    return [
        ("rate IS NULL", f"reject('missing_rate', 'no ' || {currency} || ' rate on or before ' || {day})"),
        (
            "reporting_rate IS NULL",
            "reject('missing_rate', 'no ' || getvariable('reporting_currency') "
            f"|| ' (reporting currency) rate on or before ' || {day})",
        ),
        ("fx_factor IS NULL", f"bad_rate({currency}, rate, reporting_rate)"),
        ("NOT fits_money(wide)", f"amount_out_of_range('{amount}', {_raw(converted_amount)}, {currency}, wide)"),
    ]


def _rules(rules: list[tuple[str, str]], width: int = 31) -> str:
    """WHEN ... THEN ... lines, the THENs aligned (on the next line after a long condition)."""
    return "\n".join(
        f"WHEN {condition:<{width}} THEN {result}"
        if len(condition) <= width
        else f"WHEN {condition}\n{' ' * (width + 6)}THEN {result}"
        for condition, result in rules
    )


def _as(expression: str, name: str) -> str:
    return expression if expression == name else f"{expression} AS {name}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
