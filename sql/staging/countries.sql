-- staging.countries: where partners and activities are, and the region each belongs to.
WITH typed AS (
    SELECT *, upper(country_code) AS code,
           row_number() OVER (PARTITION BY upper(country_code) ORDER BY _line) AS occurrence
    FROM src
)
SELECT
    _line,
    CASE
        WHEN _blank                 THEN reject('empty_row', 'the line has no values')
        WHEN _control IS NOT NULL   THEN _control
        WHEN country_code IS NULL   THEN reject('missing_value', 'country_code is empty')
        WHEN country_name IS NULL   THEN reject('missing_value', 'country_name is empty')
        WHEN region_code IS NULL    THEN reject('missing_value', 'region_code is empty')
        WHEN occurrence > 1         THEN reject('duplicate_key', 'country_code ' || quoted(country_code) || ' already appears on an earlier line')
        WHEN NOT regexp_full_match(code, '[A-Z]{2}')
                                    THEN reject('bad_country_code', 'country_code ' || quoted(country_code) || ' is not an ISO 3166-1 alpha-2 code')
        WHEN region_code NOT IN (SELECT region_code FROM staging.regions)
                                    THEN reject('foreign_key', 'region_code ' || quoted(region_code) || ' is not in regions')
    END AS reject,
    code AS country_code,
    country_name,
    region_code
FROM typed
