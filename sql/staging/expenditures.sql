-- staging.expenditures: what each region spent. A negative amount is a correction.
-- The rate is the one of value_date when given, else of the expenditure date.
WITH typed AS (
    SELECT *,
        lower(category)             AS kind,
        upper(currency)             AS code,
        iso_date(expenditure_date)  AS day,
        iso_date(value_date)        AS rate_day_given,
        money(amount)               AS value,
        coalesce(rate_day_given, day) AS rate_day,  -- the date whose rate converts the amount
        row_number() OVER (PARTITION BY expenditure_id ORDER BY _line) AS occurrence
    FROM src
),
-- The as-of rates, and the factor from them, once per currency and day that occur (a few thousand pairs however
-- many rows), then joined to the rows by equality.
rates AS (
    SELECT days.code, days.rate_day, fx.eur_per_unit AS rate, reporting.eur_per_unit AS reporting_rate,
           factor(fx.eur_per_unit, reporting.eur_per_unit) AS fx_factor
    FROM (SELECT DISTINCT code, rate_day FROM typed) AS days
    ASOF LEFT JOIN fx ON fx.currency = days.code AND days.rate_day >= fx.rate_date
    ASOF LEFT JOIN fx AS reporting
        ON reporting.currency = getvariable('reporting_currency') AND days.rate_day >= reporting.rate_date
),
converted AS (
    SELECT typed.*, rates.rate, rates.reporting_rate, rates.fx_factor,
           converted_wide(typed.value, rates.fx_factor) AS wide
    FROM typed LEFT JOIN rates ON rates.code = typed.code AND rates.rate_day = typed.rate_day
)
SELECT
    _line,
    CASE
        WHEN _blank                     THEN reject('empty_row', 'the line has no values')
        WHEN _control IS NOT NULL       THEN _control
        WHEN expenditure_id IS NULL     THEN reject('missing_value', 'expenditure_id is empty')
        WHEN region_code IS NULL        THEN reject('missing_value', 'region_code is empty')
        WHEN expenditure_date IS NULL   THEN reject('missing_value', 'expenditure_date is empty')
        WHEN amount IS NULL             THEN reject('missing_value', 'amount is empty')
        WHEN currency IS NULL           THEN reject('missing_value', 'currency is empty')
        WHEN category IS NULL           THEN reject('missing_value', 'category is empty')
        WHEN occurrence > 1             THEN reject('duplicate_key', 'expenditure_id ' || quoted(expenditure_id) || ' already appears on an earlier line')
        WHEN day IS NULL                THEN reject('bad_date', 'expenditure_date ' || quoted(expenditure_date) || ' is not a date YYYY-MM-DD')
        WHEN value_date IS NOT NULL AND rate_day_given IS NULL
                                        THEN reject('bad_date', 'value_date ' || quoted(value_date) || ' is not a date YYYY-MM-DD')
        WHEN implausible(day)           THEN implausible_date('expenditure_date', expenditure_date)
        WHEN implausible(rate_day_given) THEN implausible_date('value_date', value_date)
        WHEN value IS NULL              THEN reject('bad_amount', 'amount ' || quoted(amount) || ' is not a decimal number with at most 2 decimals')
        WHEN kind NOT IN ('staff', 'events', 'travel', 'programmes', 'overheads', 'other')
                                        THEN reject('not_in_vocabulary', 'category ' || quoted(category) || ' is not one of staff, events, travel, programmes, overheads, other')
        WHEN region_code NOT IN (SELECT region_code FROM staging.regions)
                                        THEN reject('foreign_key', 'region_code ' || quoted(region_code) || ' is not in regions')
        WHEN agreement_id IS NOT NULL AND agreement_id NOT IN (SELECT agreement_id FROM staging.agreements)
                                        THEN reject('foreign_key', 'agreement_id ' || quoted(agreement_id) || ' is not in agreements')
        WHEN code NOT IN (SELECT code FROM currencies)
                                        THEN reject('unknown_currency', 'currency ' || quoted(currency) || ' is not an ISO 4217 code')
        WHEN rate IS NULL               THEN reject('missing_rate', 'no ' || code || ' rate on or before ' || coalesce(value_date, expenditure_date))
        WHEN reporting_rate IS NULL     THEN reject('missing_rate', 'no ' || getvariable('reporting_currency') || ' (reporting currency) rate on or before ' || coalesce(value_date, expenditure_date))
        WHEN fx_factor IS NULL          THEN bad_rate(code, rate, reporting_rate)
        WHEN NOT fits_money(wide)       THEN amount_out_of_range('amount', amount, code, wide)
    END AS reject,
    expenditure_id,
    region_code,
    day AS expenditure_date,
    value AS amount,
    code AS currency,
    kind AS category,
    agreement_id,
    rate_day_given AS value_date,
    to_reporting(wide) AS amount_eur
FROM converted
