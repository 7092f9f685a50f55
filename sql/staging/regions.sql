-- staging.regions: the federation's regional offices.
-- The {{ … }} parts are generated from pipelines/schema/inputs.yml (pipelines/schema/staging_sql.py);
-- `python -m pipelines.schema --show-sql regions` prints the query as it runs.
WITH
{{ typed }}
SELECT
    _line,
    CASE
        {{ empty_and_missing }}
        {{ duplicate_key }}
        WHEN NOT regexp_full_match(region_code, '[A-Z][A-Z0-9_]{0,15}')
                                    THEN reject('bad_region_code', 'region_code ' || quoted(region_code) || ' is not 1-16 of A-Z, 0-9, _ starting with a letter')
    END AS reject,
    {{ staging_columns }}
FROM typed
