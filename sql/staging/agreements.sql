-- staging.agreements: what a partner committed to a region, for how long.
-- The commitment converts at the rate of its start_date.
WITH typed AS (
    SELECT *,
        lower(instrument)           AS kind,
        upper(currency)             AS code,
        iso_date(start_date)        AS starts,
        iso_date(end_date)          AS ends,
        money(committed_amount)     AS committed,
        row_number() OVER (PARTITION BY agreement_id ORDER BY _line) AS occurrence
    FROM src
),
-- The as-of rates, and the factor from them, once per currency and day that occur, then joined to the rows by equality.
rates AS (
    SELECT days.code, days.starts, fx.eur_per_unit AS rate, reporting.eur_per_unit AS reporting_rate,
           factor(fx.eur_per_unit, reporting.eur_per_unit) AS fx_factor
    FROM (SELECT DISTINCT code, starts FROM typed) AS days
    ASOF LEFT JOIN fx ON fx.currency = days.code AND days.starts >= fx.rate_date
    ASOF LEFT JOIN fx AS reporting
        ON reporting.currency = getvariable('reporting_currency') AND days.starts >= reporting.rate_date
),
converted AS (
    SELECT typed.*, rates.rate, rates.reporting_rate, rates.fx_factor,
           converted_wide(typed.committed, rates.fx_factor) AS wide
    FROM typed LEFT JOIN rates ON rates.code = typed.code AND rates.starts = typed.starts
)
SELECT
    _line,
    CASE
        WHEN _blank                     THEN reject('empty_row', 'the line has no values')
        WHEN _control IS NOT NULL       THEN _control
        WHEN agreement_id IS NULL       THEN reject('missing_value', 'agreement_id is empty')
        WHEN partner_id IS NULL         THEN reject('missing_value', 'partner_id is empty')
        WHEN region_code IS NULL        THEN reject('missing_value', 'region_code is empty')
        WHEN instrument IS NULL         THEN reject('missing_value', 'instrument is empty')
        WHEN start_date IS NULL         THEN reject('missing_value', 'start_date is empty')
        WHEN end_date IS NULL           THEN reject('missing_value', 'end_date is empty')
        WHEN committed_amount IS NULL   THEN reject('missing_value', 'committed_amount is empty')
        WHEN currency IS NULL           THEN reject('missing_value', 'currency is empty')
        WHEN occurrence > 1             THEN reject('duplicate_key', 'agreement_id ' || quoted(agreement_id) || ' already appears on an earlier line')
        WHEN starts IS NULL             THEN reject('bad_date', 'start_date ' || quoted(start_date) || ' is not a date YYYY-MM-DD')
        WHEN ends IS NULL               THEN reject('bad_date', 'end_date ' || quoted(end_date) || ' is not a date YYYY-MM-DD')
        WHEN implausible(starts)        THEN implausible_date('start_date', start_date)
        WHEN implausible(ends)          THEN implausible_date('end_date', end_date)
        WHEN committed IS NULL          THEN reject('bad_amount', 'committed_amount ' || quoted(committed_amount) || ' is not a decimal number with at most 2 decimals')
        WHEN kind NOT IN ('grant', 'sponsorship', 'in_kind', 'contract', 'mou')
                                        THEN reject('not_in_vocabulary', 'instrument ' || quoted(instrument) || ' is not one of grant, sponsorship, in_kind, contract, mou')
        WHEN ends < starts              THEN reject('end_before_start', 'end_date ' || end_date || ' is before start_date ' || start_date)
        WHEN committed < 0              THEN reject('negative_value', 'committed_amount must not be negative')
        WHEN kind = 'mou' AND committed <> 0
                                        THEN reject('mou_with_amount', 'an mou commits no money: committed_amount must be 0')
        WHEN partner_id NOT IN (SELECT partner_id FROM staging.partners)
                                        THEN reject('foreign_key', 'partner_id ' || quoted(partner_id) || ' is not in partners')
        WHEN region_code NOT IN (SELECT region_code FROM staging.regions)
                                        THEN reject('foreign_key', 'region_code ' || quoted(region_code) || ' is not in regions')
        WHEN renews IS NOT NULL AND (renews = agreement_id OR renews NOT IN (SELECT agreement_id FROM src WHERE agreement_id IS NOT NULL))
                                        THEN reject('foreign_key', 'renews ' || quoted(renews) || ' is not another agreement in this file')
        WHEN code NOT IN (SELECT code FROM currencies)
                                        THEN reject('unknown_currency', 'currency ' || quoted(currency) || ' is not an ISO 4217 code')
        WHEN rate IS NULL               THEN reject('missing_rate', 'no ' || code || ' rate on or before ' || start_date)
        WHEN reporting_rate IS NULL     THEN reject('missing_rate', 'no ' || getvariable('reporting_currency') || ' (reporting currency) rate on or before ' || start_date)
        WHEN fx_factor IS NULL          THEN bad_rate(code, rate, reporting_rate)
        WHEN NOT fits_money(wide)       THEN amount_out_of_range('committed_amount', committed_amount, code, wide)
    END AS reject,
    agreement_id,
    partner_id,
    region_code,
    title,
    kind AS instrument,
    starts AS start_date,
    ends AS end_date,
    committed AS committed_amount,
    code AS currency,
    renews,
    to_reporting(wide) AS committed_eur
FROM converted
