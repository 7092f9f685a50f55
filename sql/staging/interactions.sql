-- staging.interactions: contact with partners beyond the formal agreement.
WITH typed AS (
    SELECT *,
        lower(channel)              AS kind,
        iso_date(interaction_date)  AS day,
        row_number() OVER (PARTITION BY interaction_id ORDER BY _line) AS occurrence
    FROM src
)
SELECT
    _line,
    CASE
        WHEN _blank                     THEN reject('empty_row', 'the line has no values')
        WHEN _control IS NOT NULL       THEN _control
        WHEN interaction_id IS NULL     THEN reject('missing_value', 'interaction_id is empty')
        WHEN partner_id IS NULL         THEN reject('missing_value', 'partner_id is empty')
        WHEN region_code IS NULL        THEN reject('missing_value', 'region_code is empty')
        WHEN interaction_date IS NULL   THEN reject('missing_value', 'interaction_date is empty')
        WHEN channel IS NULL            THEN reject('missing_value', 'channel is empty')
        WHEN occurrence > 1             THEN reject('duplicate_key', 'interaction_id ' || quoted(interaction_id) || ' already appears on an earlier line')
        WHEN day IS NULL                THEN reject('bad_date', 'interaction_date ' || quoted(interaction_date) || ' is not a date YYYY-MM-DD')
        WHEN implausible(day)           THEN implausible_date('interaction_date', interaction_date)
        WHEN kind NOT IN ('meeting', 'call', 'email', 'visit', 'event')
                                        THEN reject('not_in_vocabulary', 'channel ' || quoted(channel) || ' is not one of meeting, call, email, visit, event')
        WHEN partner_id NOT IN (SELECT partner_id FROM staging.partners)
                                        THEN reject('foreign_key', 'partner_id ' || quoted(partner_id) || ' is not in partners')
        WHEN region_code NOT IN (SELECT region_code FROM staging.regions)
                                        THEN reject('foreign_key', 'region_code ' || quoted(region_code) || ' is not in regions')
    END AS reject,
    interaction_id,
    partner_id,
    region_code,
    day AS interaction_date,
    kind AS channel,
    note
FROM typed
