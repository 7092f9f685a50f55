-- staging.countries: where partners and activities are, and the region each belongs to.
-- The {{ … }} parts are generated from pipelines/schema/inputs.yml (pipelines/schema/staging_sql.py);
-- `python -m pipelines.schema --show-sql countries` prints the query as it runs.
WITH
{{ typed }}
SELECT
    _line,
    CASE
        {{ empty_and_missing }}
        {{ duplicate_key }}
        WHEN NOT regexp_full_match(country_code, '[A-Z]{2}')
                                    THEN reject('bad_country_code', 'country_code ' || quoted(raw_country_code) || ' is not an ISO 3166-1 alpha-2 code')
        {{ foreign_keys }}
    END AS reject,
    {{ staging_columns }}
FROM typed
