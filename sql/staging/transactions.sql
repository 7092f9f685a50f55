-- staging.transactions: money and in-kind value received against an agreement.
-- A negative amount is a refund or correction and is kept as such. The rate is the one
-- of value_date when given (IATI's value-date), else of the transaction date.
-- The {{ … }} parts are generated from pipelines/schema/inputs.yml (pipelines/schema/staging_sql.py);
-- `python -m pipelines.schema --show-sql transactions` prints the query as it runs.
WITH
{{ typed }},
{{ as_of_rates }}
SELECT
    _line,
    CASE
        {{ empty_and_missing }}
        {{ duplicate_key }}
        {{ parse_failures }}
        {{ vocabularies }}
        {{ foreign_keys }}
        {{ currencies }}
        {{ conversion_failures }}
    END AS reject,
    {{ staging_columns }}
FROM converted
