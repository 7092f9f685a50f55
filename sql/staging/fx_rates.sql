-- staging.fx_rates: EUR per unit of a currency from a date on (daily, monthly or sparser).
WITH typed AS (
    SELECT *,
        upper(currency)         AS code,
        iso_date(rate_date)     AS day,
        rate(eur_per_unit)      AS eur,
        row_number() OVER (PARTITION BY upper(currency), rate_date ORDER BY _line) AS occurrence
    FROM src
)
SELECT
    _line,
    CASE
        WHEN _blank                 THEN reject('empty_row', 'the line has no values')
        WHEN _control IS NOT NULL   THEN _control
        WHEN currency IS NULL       THEN reject('missing_value', 'currency is empty')
        WHEN rate_date IS NULL      THEN reject('missing_value', 'rate_date is empty')
        WHEN eur_per_unit IS NULL   THEN reject('missing_value', 'eur_per_unit is empty')
        WHEN occurrence > 1         THEN reject('duplicate_key', 'a rate for ' || code || ' on ' || rate_date || ' already appears on an earlier line')
        WHEN day IS NULL            THEN reject('bad_date', 'rate_date ' || quoted(rate_date) || ' is not a date YYYY-MM-DD')
        WHEN implausible(day)       THEN implausible_date('rate_date', rate_date)
        WHEN eur IS NULL            THEN reject('bad_number', 'eur_per_unit ' || quoted(eur_per_unit) || ' is not a positive decimal number')
        WHEN code NOT IN (SELECT code FROM currencies)
                                    THEN reject('unknown_currency', 'currency ' || quoted(currency) || ' is not an ISO 4217 code')
        WHEN eur <= 0               THEN reject('not_positive', 'eur_per_unit must be greater than 0')
        WHEN code = 'EUR' AND eur <> 1
                                    THEN reject('bad_rate', 'EUR is the base currency: its rate can only be 1')
    END AS reject,
    code AS currency,
    day AS rate_date,
    eur AS eur_per_unit
FROM typed
