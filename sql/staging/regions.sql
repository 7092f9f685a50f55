-- staging.regions: the federation's regional offices.
WITH typed AS (
    SELECT *, row_number() OVER (PARTITION BY region_code ORDER BY _line) AS occurrence
    FROM src
)
SELECT
    _line,
    CASE
        WHEN _blank                 THEN reject('empty_row', 'the line has no values')
        WHEN _control IS NOT NULL   THEN _control
        WHEN region_code IS NULL    THEN reject('missing_value', 'region_code is empty')
        WHEN region_name IS NULL    THEN reject('missing_value', 'region_name is empty')
        WHEN occurrence > 1         THEN reject('duplicate_key', 'region_code ' || quoted(region_code) || ' already appears on an earlier line')
        WHEN NOT regexp_full_match(region_code, '[A-Z][A-Z0-9_]{0,15}')
                                    THEN reject('bad_region_code', 'region_code ' || quoted(region_code) || ' is not 1-16 of A-Z, 0-9, _ starting with a letter')
    END AS reject,
    region_code,
    region_name
FROM typed
