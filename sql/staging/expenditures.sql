-- staging.expenditures: what each region spent. A negative amount is a correction.
-- The rate is the one of value_date when given, else of the expenditure date.
-- The {{ … }} parts are generated from pipelines/schema/inputs.yml (pipelines/schema/staging_sql.py);
-- `python -m pipelines.schema --show-sql expenditures` prints the query as it runs.
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
