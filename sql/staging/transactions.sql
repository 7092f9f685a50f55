-- staging.transactions: money and in-kind value received against an agreement.
-- A negative amount is a refund or correction and is kept as such. The rate is the one
-- of value_date when given (IATI's value-date), else of the transaction date.
-- The lines whose transaction_id already appears on an earlier line (rule duplicate_key):
-- numbered over these two columns only, so that the wide rows are not partitioned by id,
-- keep their file order and are cheaper to write in line order.
WITH later AS (
    SELECT _line AS line FROM (
        SELECT _line, row_number() OVER (PARTITION BY transaction_id ORDER BY _line) AS occurrence FROM src
    ) WHERE occurrence > 1
),
typed AS (
    SELECT *,
        lower(transaction_type)     AS kind,
        upper(currency)             AS code,
        iso_date(transaction_date)  AS day,
        iso_date(value_date)        AS rate_day_given,
        money(amount)               AS value,
        coalesce(rate_day_given, day) AS rate_day,  -- the date whose rate converts the amount
        later.line IS NOT NULL      AS repeated
    FROM src LEFT JOIN later ON later.line = src._line
),
-- The as-of rates, and the factor from them, once per currency and day that occur (a few
-- thousand pairs however many rows), then joined to the rows by equality.
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
        WHEN transaction_id IS NULL     THEN reject('missing_value', 'transaction_id is empty')
        WHEN agreement_id IS NULL       THEN reject('missing_value', 'agreement_id is empty')
        WHEN transaction_date IS NULL   THEN reject('missing_value', 'transaction_date is empty')
        WHEN transaction_type IS NULL   THEN reject('missing_value', 'transaction_type is empty')
        WHEN amount IS NULL             THEN reject('missing_value', 'amount is empty')
        WHEN currency IS NULL           THEN reject('missing_value', 'currency is empty')
        WHEN repeated                   THEN reject('duplicate_key', 'transaction_id ' || quoted(transaction_id) || ' already appears on an earlier line')
        WHEN day IS NULL                THEN reject('bad_date', 'transaction_date ' || quoted(transaction_date) || ' is not a date YYYY-MM-DD')
        WHEN value_date IS NOT NULL AND rate_day_given IS NULL
                                        THEN reject('bad_date', 'value_date ' || quoted(value_date) || ' is not a date YYYY-MM-DD')
        WHEN implausible(day)           THEN implausible_date('transaction_date', transaction_date)
        WHEN implausible(rate_day_given) THEN implausible_date('value_date', value_date)
        WHEN value IS NULL              THEN reject('bad_amount', 'amount ' || quoted(amount) || ' is not a decimal number with at most 2 decimals')
        WHEN kind NOT IN ('income', 'in_kind')
                                        THEN reject('not_in_vocabulary', 'transaction_type ' || quoted(transaction_type) || ' is not one of income, in_kind')
        WHEN agreement_id NOT IN (SELECT agreement_id FROM staging.agreements)
                                        THEN reject('foreign_key', 'agreement_id ' || quoted(agreement_id) || ' is not in agreements')
        WHEN code NOT IN (SELECT code FROM currencies)
                                        THEN reject('unknown_currency', 'currency ' || quoted(currency) || ' is not an ISO 4217 code')
        WHEN rate IS NULL               THEN reject('missing_rate', 'no ' || code || ' rate on or before ' || coalesce(value_date, transaction_date))
        WHEN reporting_rate IS NULL     THEN reject('missing_rate', 'no ' || getvariable('reporting_currency') || ' (reporting currency) rate on or before ' || coalesce(value_date, transaction_date))
        WHEN fx_factor IS NULL          THEN bad_rate(code, rate, reporting_rate)
        WHEN NOT fits_money(wide)       THEN amount_out_of_range('amount', amount, code, wide)
    END AS reject,
    transaction_id,
    agreement_id,
    day AS transaction_date,
    kind AS transaction_type,
    value AS amount,
    code AS currency,
    rate_day_given AS value_date,
    to_reporting(wide) AS amount_eur
FROM converted
