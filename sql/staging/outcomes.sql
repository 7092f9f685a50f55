-- staging.outcomes: indicators with baseline, target and actual at a period end.
WITH typed AS (
    SELECT *,
        iso_date(period_end)    AS day,
        number(baseline)        AS base,
        number(target)          AS goal,
        number(actual)          AS reached,
        row_number() OVER (PARTITION BY outcome_id ORDER BY _line) AS occurrence
    FROM src
)
SELECT
    _line,
    CASE
        WHEN _blank                 THEN reject('empty_row', 'the line has no values')
        WHEN _control IS NOT NULL   THEN _control
        WHEN outcome_id IS NULL     THEN reject('missing_value', 'outcome_id is empty')
        WHEN region_code IS NULL    THEN reject('missing_value', 'region_code is empty')
        WHEN indicator IS NULL      THEN reject('missing_value', 'indicator is empty')
        WHEN period_end IS NULL     THEN reject('missing_value', 'period_end is empty')
        WHEN baseline IS NULL       THEN reject('missing_value', 'baseline is empty')
        WHEN target IS NULL         THEN reject('missing_value', 'target is empty')
        WHEN actual IS NULL         THEN reject('missing_value', 'actual is empty')
        WHEN occurrence > 1         THEN reject('duplicate_key', 'outcome_id ' || quoted(outcome_id) || ' already appears on an earlier line')
        WHEN day IS NULL            THEN reject('bad_date', 'period_end ' || quoted(period_end) || ' is not a date YYYY-MM-DD')
        WHEN implausible(day)       THEN implausible_date('period_end', period_end)
        WHEN base IS NULL           THEN reject('bad_number', 'baseline ' || quoted(baseline) || ' is not a number')
        WHEN goal IS NULL           THEN reject('bad_number', 'target ' || quoted(target) || ' is not a number')
        WHEN reached IS NULL        THEN reject('bad_number', 'actual ' || quoted(actual) || ' is not a number')
        WHEN isinf(base) OR isinf(goal) OR isinf(reached)
                                    THEN reject('number_out_of_range', 'baseline, target or actual is too large for a number (DOUBLE)')
        WHEN region_code NOT IN (SELECT region_code FROM staging.regions)
                                    THEN reject('foreign_key', 'region_code ' || quoted(region_code) || ' is not in regions')
        WHEN agreement_id IS NOT NULL AND agreement_id NOT IN (SELECT agreement_id FROM staging.agreements)
                                    THEN reject('foreign_key', 'agreement_id ' || quoted(agreement_id) || ' is not in agreements')
    END AS reject,
    outcome_id,
    region_code,
    agreement_id,
    indicator,
    day AS period_end,
    base AS baseline,
    goal AS target,
    reached AS actual
FROM typed
