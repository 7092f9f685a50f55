-- staging.partners: governments, foundations and organisations the federation works with.
-- Names are untrusted text in any script and are kept exactly as given.
WITH typed AS (
    SELECT *,
        lower(partner_type) AS type,
        upper(country_code) AS country,
        iso_date(since)     AS since_date,
        row_number() OVER (PARTITION BY partner_id ORDER BY _line) AS occurrence
    FROM src
)
SELECT
    _line,
    CASE
        WHEN _blank                 THEN reject('empty_row', 'the line has no values')
        WHEN _control IS NOT NULL   THEN _control
        WHEN partner_id IS NULL     THEN reject('missing_value', 'partner_id is empty')
        WHEN name IS NULL           THEN reject('missing_value', 'name is empty')
        WHEN partner_type IS NULL   THEN reject('missing_value', 'partner_type is empty')
        WHEN occurrence > 1         THEN reject('duplicate_key', 'partner_id ' || quoted(partner_id) || ' already appears on an earlier line')
        WHEN since IS NOT NULL AND since_date IS NULL
                                    THEN reject('bad_date', 'since ' || quoted(since) || ' is not a date YYYY-MM-DD')
        WHEN implausible(since_date) THEN implausible_date('since', since)
        WHEN type NOT IN ('foundation', 'government', 'multilateral', 'corporate', 'ngo', 'library', 'academic', 'association')
                                    THEN reject('not_in_vocabulary', 'partner_type ' || quoted(partner_type) || ' is not one of foundation, government, multilateral, corporate, ngo, library, academic, association')
        WHEN country IS NOT NULL AND country NOT IN (SELECT country_code FROM staging.countries)
                                    THEN reject('foreign_key', 'country_code ' || quoted(country_code) || ' is not in countries')
    END AS reject,
    partner_id,
    name,
    type AS partner_type,
    country AS country_code,
    since_date AS since
FROM typed
