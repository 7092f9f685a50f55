-- staging.activities: workshops, trainings, conferences... and whom they reached.
WITH typed AS (
    SELECT *,
        lower(activity_type)            AS kind,
        upper(country_code)             AS country,
        iso_date(start_date)            AS starts,
        iso_date(end_date)              AS ends,
        whole_number(participants)      AS people,
        whole_number(libraries_reached) AS libraries,
        row_number() OVER (PARTITION BY activity_id ORDER BY _line) AS occurrence
    FROM src
)
SELECT
    _line,
    CASE
        WHEN _blank                     THEN reject('empty_row', 'the line has no values')
        WHEN _control IS NOT NULL       THEN _control
        WHEN activity_id IS NULL        THEN reject('missing_value', 'activity_id is empty')
        WHEN region_code IS NULL        THEN reject('missing_value', 'region_code is empty')
        WHEN activity_type IS NULL      THEN reject('missing_value', 'activity_type is empty')
        WHEN start_date IS NULL         THEN reject('missing_value', 'start_date is empty')
        WHEN end_date IS NULL           THEN reject('missing_value', 'end_date is empty')
        WHEN participants IS NULL       THEN reject('missing_value', 'participants is empty')
        WHEN libraries_reached IS NULL  THEN reject('missing_value', 'libraries_reached is empty')
        WHEN occurrence > 1             THEN reject('duplicate_key', 'activity_id ' || quoted(activity_id) || ' already appears on an earlier line')
        WHEN starts IS NULL             THEN reject('bad_date', 'start_date ' || quoted(start_date) || ' is not a date YYYY-MM-DD')
        WHEN ends IS NULL               THEN reject('bad_date', 'end_date ' || quoted(end_date) || ' is not a date YYYY-MM-DD')
        WHEN implausible(starts)        THEN implausible_date('start_date', start_date)
        WHEN implausible(ends)          THEN implausible_date('end_date', end_date)
        WHEN people IS NULL             THEN reject('bad_number', 'participants ' || quoted(participants) || ' is not a whole number')
        WHEN libraries IS NULL          THEN reject('bad_number', 'libraries_reached ' || quoted(libraries_reached) || ' is not a whole number')
        WHEN kind NOT IN ('workshop', 'training', 'conference', 'meeting', 'webinar', 'publication', 'advocacy')
                                        THEN reject('not_in_vocabulary', 'activity_type ' || quoted(activity_type) || ' is not one of workshop, training, conference, meeting, webinar, publication, advocacy')
        WHEN ends < starts              THEN reject('end_before_start', 'end_date ' || end_date || ' is before start_date ' || start_date)
        WHEN people < 0                 THEN reject('negative_value', 'participants must not be negative')
        WHEN libraries < 0              THEN reject('negative_value', 'libraries_reached must not be negative')
        WHEN people > max_count()       THEN reject('number_out_of_range', 'participants ' || participants || ' is more than 1000000000')
        WHEN libraries > max_count()    THEN reject('number_out_of_range', 'libraries_reached ' || libraries_reached || ' is more than 1000000000')
        WHEN region_code NOT IN (SELECT region_code FROM staging.regions)
                                        THEN reject('foreign_key', 'region_code ' || quoted(region_code) || ' is not in regions')
        WHEN agreement_id IS NOT NULL AND agreement_id NOT IN (SELECT agreement_id FROM staging.agreements)
                                        THEN reject('foreign_key', 'agreement_id ' || quoted(agreement_id) || ' is not in agreements')
        WHEN country IS NOT NULL AND country NOT IN (SELECT country_code FROM staging.countries)
                                        THEN reject('foreign_key', 'country_code ' || quoted(country_code) || ' is not in countries')
    END AS reject,
    activity_id,
    region_code,
    agreement_id,
    title,
    kind AS activity_type,
    starts AS start_date,
    ends AS end_date,
    people AS participants,
    libraries AS libraries_reached,
    country AS country_code
FROM typed
