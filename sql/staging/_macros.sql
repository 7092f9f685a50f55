-- Helpers shared by the staging queries. A parser returns NULL for text that does not
-- follow the contract's format, so the query can reject the row with the right rule.
CREATE OR REPLACE TEMP MACRO reject(rule, message) AS {'rule': rule, 'message': message};
CREATE OR REPLACE TEMP MACRO quoted(s) AS '''' || s || '''';
-- A date YYYY-MM-DD (ASCII digits). GLOB and a cast: the same dates as a regular expression
-- and strptime (checked on every string of that shape from 0000-00-00 to 9999-13-32), at
-- half the cost.
CREATE OR REPLACE TEMP MACRO iso_date(s) AS
    CASE WHEN s GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN try_cast(s AS DATE) END;
-- At most 2 decimals, no thousands separators, no exponent: the contract's amount format.
CREATE OR REPLACE TEMP MACRO money(s) AS
    CASE WHEN regexp_full_match(s, '-?\d{1,16}(\.\d{1,2})?') THEN s::DECIMAL(18, 2) END;
CREATE OR REPLACE TEMP MACRO whole_number(s) AS
    CASE WHEN regexp_full_match(s, '-?\d{1,18}') THEN s::BIGINT END;
CREATE OR REPLACE TEMP MACRO number(s) AS
    CASE WHEN regexp_full_match(s, '-?\d+(\.\d+)?') THEN s::DOUBLE END;
-- Rates keep 12 decimals: far below a cent even on a billion in a weak currency.
CREATE OR REPLACE TEMP MACRO rate(s) AS
    CASE WHEN regexp_full_match(s, '\d{1,12}(\.\d+)?') THEN s::DECIMAL(38, 18)::DECIMAL(24, 12) END;
-- Plausible values only (data contract): a date outside the window PLAUSIBLE_DATE_FROM ..
-- PLAUSIBLE_DATE_TO (variables date_from, date_to) is rejected as implausible_date.
CREATE OR REPLACE TEMP MACRO implausible(d) AS d < getvariable('date_from') OR d > getvariable('date_to');
CREATE OR REPLACE TEMP MACRO implausible_date(column_name, s) AS reject('implausible_date',
    column_name || ' ' || s || ' is outside the plausible dates ' || getvariable('date_from')
    || ' to ' || getvariable('date_to') || ' (PLAUSIBLE_DATE_FROM, PLAUSIBLE_DATE_TO)');
-- The factor from a row's currency to the reporting currency: the EUR rate itself when the
-- reporting currency is EUR (rate 1), else the cross rate through EUR rounded to 12
-- decimals. NULL when the cross rate does not fit DECIMAL(24,12) or rounds to 0 (bad_rate).
CREATE OR REPLACE TEMP MACRO factor(rate, reporting_rate) AS
    CASE WHEN reporting_rate = 1 THEN rate
         WHEN rate / reporting_rate < 1e12 AND rate / reporting_rate >= 5e-13
         THEN (rate / reporting_rate)::DECIMAL(24, 12) END;
-- round(amount * factor, 2), exactly, without its cost: rounding the exact DECIMAL(38,14)
-- product divides 128-bit integers, the slowest step of a load (0.7 µs a row). The DOUBLE
-- product rounded to cents is taken when the exact product is provably within half a cent
-- of it (and a tie, exactly half a cent, rounds away from zero as round does); otherwise
-- (very large amounts) round itself. CASE evaluates round only for those rows.
CREATE OR REPLACE TEMP MACRO rounded_cents(exact, guess) AS
    CASE WHEN abs(exact - guess) < 0.005 OR exact - guess = CASE WHEN exact < 0 THEN 0.005 ELSE -0.005 END
         THEN guess ELSE round(exact, 2) END;
CREATE OR REPLACE TEMP MACRO cents(amount, factor) AS
    rounded_cents(amount * factor, round(amount::DOUBLE * factor::DOUBLE, 2)::DECIMAL(38, 2));
-- The converted amount, rounded to cents once, in DECIMAL(38,2); NULL when it would not fit
-- even there. The staging column keeps it only when it fits DECIMAL(18,2) (fits_money);
-- otherwise the row is rejected as amount_out_of_range. Never an overflow error.
CREATE OR REPLACE TEMP MACRO converted_wide(amount, factor) AS
    cents(CASE WHEN abs(amount::DOUBLE * factor::DOUBLE) < 1e20 THEN amount END, factor);
CREATE OR REPLACE TEMP MACRO max_money() AS 9999999999999999.99::DECIMAL(38, 2);
CREATE OR REPLACE TEMP MACRO fits_money(wide) AS wide IS NOT NULL AND abs(wide) <= max_money();
CREATE OR REPLACE TEMP MACRO to_reporting(wide) AS (CASE WHEN fits_money(wide) THEN wide END)::DECIMAL(18, 2);
CREATE OR REPLACE TEMP MACRO bad_rate(code, rate, reporting_rate) AS reject('bad_rate',
    'the rate from ' || code || ' to ' || getvariable('reporting_currency') || ' (' || rate::VARCHAR
    || ' / ' || reporting_rate::VARCHAR || ' EUR per unit) does not fit DECIMAL(24,12) or rounds to 0');
CREATE OR REPLACE TEMP MACRO amount_out_of_range(column_name, s, code, wide) AS reject('amount_out_of_range',
    column_name || ' ' || s || ' ' || code || ' is ' || coalesce(wide::VARCHAR, 'over 10^20') || ' '
    || getvariable('reporting_currency') || ' when converted: more than DECIMAL(18,2) holds (9999999999999999.99)');
-- Whole numbers (participants, libraries reached) are at most a billion, so that sums over
-- any number of rows fit a BIGINT (rule number_out_of_range); outcome numbers must be finite.
CREATE OR REPLACE TEMP MACRO max_count() AS 1000000000;
-- A field holding a control or bidirectional control character (pipelines/ingest/read.py).
CREATE OR REPLACE TEMP MACRO control_reject(column_name, s, pattern) AS reject('control_character',
    column_name || ' holds ' || printf('U+%04X', unicode(regexp_extract(s, pattern)))
    || CASE WHEN unicode(regexp_extract(s, pattern)) BETWEEN 8234 AND 8297
            THEN ', a bidirectional control character' ELSE ', a control character' END
    || ': remove it in the source');
-- A field as the staging queries see it (`src`, pipelines/ingest/read.py): white space
-- around it trimmed (Unicode's: spaces, tabs, line breaks, no-break spaces…), empty → NULL.
-- The replacement runs only on the rare field that starts or ends with white space.
CREATE OR REPLACE TEMP MACRO clean(s) AS nullif(
    CASE WHEN regexp_matches(s, '^[\t-\r\x{85}\pZ]|[\t-\r\x{85}\pZ]$')
         THEN regexp_replace(s, '^[\t-\r\x{85}\pZ]+|[\t-\r\x{85}\pZ]+$', '', 'g')
         ELSE s END,
    '');
-- The same for a file with no quotes and no white space but plain spaces (`Bytes.plain`
-- in pipelines/ingest/read.py): a cheaper test, and DuckDB's trim of spaces.
CREATE OR REPLACE TEMP MACRO clean_spaces(s) AS nullif(CASE WHEN s LIKE ' %' OR s LIKE '% ' THEN trim(s) ELSE s END, '');
