-- staging.activities: workshops, trainings, conferences... and whom they reached.
-- The {{ … }} parts are generated from pipelines/schema/inputs.yml (pipelines/schema/staging_sql.py);
-- `python -m pipelines.schema --show-sql activities` prints the query as it runs.
WITH
{{ typed }}
SELECT
    _line,
    CASE
        {{ empty_and_missing }}
        {{ duplicate_key }}
        {{ parse_failures }}
        {{ vocabularies }}
        WHEN end_date < start_date      THEN reject('end_before_start', 'end_date ' || raw_end_date || ' is before start_date ' || raw_start_date)
        WHEN participants < 0           THEN reject('negative_value', 'participants must not be negative')
        WHEN libraries_reached < 0      THEN reject('negative_value', 'libraries_reached must not be negative')
        WHEN participants > max_count() THEN reject('number_out_of_range', 'participants ' || raw_participants || ' is more than 1000000000')
        WHEN libraries_reached > max_count()
                                        THEN reject('number_out_of_range', 'libraries_reached ' || raw_libraries_reached || ' is more than 1000000000')
        {{ foreign_keys }}
    END AS reject,
    {{ staging_columns }}
FROM typed
