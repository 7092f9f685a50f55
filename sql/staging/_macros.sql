-- Helpers shared by the staging queries. A parser returns NULL for text that does not
-- follow the contract's format, so the query can reject the row with the right rule.
CREATE OR REPLACE TEMP MACRO reject(rule, message) AS {'rule': rule, 'message': message};
CREATE OR REPLACE TEMP MACRO quoted(s) AS '''' || s || '''';
CREATE OR REPLACE TEMP MACRO iso_date(s) AS
    CASE WHEN regexp_full_match(s, '\d{4}-\d{2}-\d{2}') THEN try_strptime(s, '%Y-%m-%d')::DATE END;
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
-- Reporting-currency value of an amount, given the as-of EUR rates of its currency and of
-- the reporting currency; rounded to cents once, here.
CREATE OR REPLACE TEMP MACRO to_reporting(amount, rate, reporting_rate) AS
    round(amount * CASE WHEN reporting_rate = 1 THEN rate
                        ELSE (rate / reporting_rate)::DECIMAL(24, 12) END, 2)::DECIMAL(18, 2);
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
