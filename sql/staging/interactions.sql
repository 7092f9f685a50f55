-- staging.interactions: contact with partners beyond the formal agreement.
-- The {{ … }} parts are generated from pipelines/schema/inputs.yml (pipelines/schema/staging_sql.py);
-- `python -m pipelines.schema --show-sql interactions` prints the query as it runs.
WITH
{{ typed }}
SELECT
    _line,
    CASE
        {{ empty_and_missing }}
        {{ duplicate_key }}
        {{ parse_failures }}
        {{ vocabularies }}
        {{ foreign_keys }}
    END AS reject,
    {{ staging_columns }}
FROM typed
