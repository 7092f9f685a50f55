"""iso_date (sql/staging/_macros.sql) accepts exactly the dates YYYY-MM-DD that a regular
expression with strptime accepts (its former definition, kept here as the reference), on
every string of that shape in chosen years and on strings of other shapes."""

import duckdb

from pipelines.ingest.load import STAGING_SQL

REFERENCE = r"""CREATE TEMP MACRO reference(s) AS
    CASE WHEN regexp_full_match(s, '\d{4}-\d{2}-\d{2}') THEN try_strptime(s, '%Y-%m-%d')::DATE END"""
OTHER_SHAPES = [
    "2024-01-5",
    "2024-1-05",
    " 2024-01-05",
    "2024-01-05 ",
    "2024-01-05T00:00",
    "２０２４-01-05",
    "٢٠٢٤-01-05",
    "2024/01/05",
    "+2024-01-05",
    "-2024-01-05",
    "20240105",
    "2024-01-05 BC",
    "",
    None,
]


def test_iso_date_accepts_what_the_regular_expression_and_strptime_accept():
    conn = duckdb.connect()
    conn.execute((STAGING_SQL / "_macros.sql").read_text())
    conn.execute(REFERENCE)
    conn.execute("""
        CREATE TABLE strings AS
        SELECT lpad(y::VARCHAR, 4, '0') || '-' || lpad(m::VARCHAR, 2, '0') || '-' || lpad(d::VARCHAR, 2, '0') AS s
        FROM (SELECT unnest([0, 1, 4, 99, 100, 1899, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999]) AS y),
             range(0, 14) AS months(m), range(0, 33) AS days(d)
    """)
    conn.executemany("INSERT INTO strings VALUES (?)", [[s] for s in OTHER_SHAPES])
    rows, differing, dates = conn.execute(
        "SELECT count(*), count(*) FILTER (iso_date(s) IS DISTINCT FROM reference(s)), count(iso_date(s)) FROM strings"
    ).fetchone()
    assert rows == 14 * 14 * 33 + len(OTHER_SHAPES)
    assert differing == 0
    # the real dates of the 14 years: 0, 4, 2000, 2024 and 2400 are leap years (not 100, 1900, 2100)
    assert dates == 14 * 365 + 5
