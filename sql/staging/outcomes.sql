-- staging.outcomes: indicators with baseline, target and actual at a period end.
-- The {{ … }} parts are generated from pipelines/schema/inputs.yml (pipelines/schema/staging_sql.py);
-- `python -m pipelines.schema --show-sql outcomes` prints the query as it runs.
WITH
{{ typed }}
SELECT
    _line,
    CASE
        {{ empty_and_missing }}
        {{ duplicate_key }}
        {{ parse_failures }}
        WHEN isinf(baseline) OR isinf(target) OR isinf(actual)
                                    THEN reject('number_out_of_range', 'baseline, target or actual is too large for a number (DOUBLE)')
        {{ foreign_keys }}
    END AS reject,
    {{ staging_columns }}
FROM typed
