"""The load's conversion to the reporting currency rounds exactly as round(amount * factor, 2)
does (sql/staging/_macros.sql: `converted_wide` takes a DOUBLE guess only when it is provably
the same), on ties, negatives, tiny and huge amounts and factors, and the guard's NULLs."""

import duckdb

from pipelines.ingest.load import STAGING_SQL

CASES = """
    SELECT (sign * (whole::VARCHAR || '.' || lpad(cents::VARCHAR, 2, '0'))::DECIMAL(18, 2))::DECIMAL(18, 2) AS amount,
           factor::DECIMAL(24, 12) AS factor
    FROM (VALUES (1), (-1)) s(sign),
         (VALUES (0), (1), (7), (123), (99999), (1234567), (98765432109), (9999999999999999)) w(whole),
         (VALUES (0), (1), (5), (45), (50), (55), (99)) c(cents),
         (VALUES ('1'), ('0.5'), ('0.1'), ('0.25'), ('0.125'), ('0.333333333333'), ('1.5'), ('0.000000000001'),
                 ('0.000000123457'), ('7.654321098765'), ('1234.567890123456'), ('999999999999.999999999999')) f(factor)
"""


def test_converted_wide_is_round_of_the_exact_product():
    conn = duckdb.connect()
    conn.execute((STAGING_SQL / "_macros.sql").read_text())
    conn.execute(f"CREATE TABLE cases AS {CASES}")
    rows, differing, ties, guarded, fallback = conn.execute("""
        WITH guarded AS (
            SELECT amount, factor, CASE WHEN abs(amount::DOUBLE * factor::DOUBLE) < 1e20 THEN amount END AS kept
            FROM cases
        )
        SELECT count(*),
               count(*) FILTER (converted_wide(amount, factor) IS DISTINCT FROM round(kept * factor, 2)),
               count(*) FILTER (abs(kept * factor) % 0.01 = 0.005),
               count(*) FILTER (kept IS NULL),
               count(*) FILTER (abs(kept * factor - round(kept::DOUBLE * factor::DOUBLE, 2)::DECIMAL(38, 2)) > 0.005)
        FROM guarded
    """).fetchone()
    assert rows == 2 * 8 * 7 * 12
    assert differing == 0
    # the cases exercise every path: exact ties, the guard, and DOUBLE guesses that are wrong
    assert ties > 0 and guarded > 0 and fallback > 0
