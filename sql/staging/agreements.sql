-- staging.agreements: what a partner committed to a region, for how long.
-- The commitment converts at the rate of its start_date.
-- The {{ … }} parts are generated from pipelines/schema/inputs.yml (pipelines/schema/staging_sql.py);
-- `python -m pipelines.schema --show-sql agreements` prints the query as it runs.
WITH
{{ typed }},
{{ as_of_rates }}
SELECT
    _line,
    CASE
        {{ empty_and_missing }}
        {{ duplicate_key }}
        {{ parse_failures }}
        {{ vocabularies }}
        WHEN end_date < start_date      THEN reject('end_before_start', 'end_date ' || raw_end_date || ' is before start_date ' || raw_start_date)
        WHEN committed_amount < 0       THEN reject('negative_value', 'committed_amount must not be negative')
        WHEN instrument = 'mou' AND committed_amount <> 0
                                        THEN reject('mou_with_amount', 'an mou commits no money: committed_amount must be 0')
        {{ foreign_keys }}
        WHEN renews IS NOT NULL AND (renews = agreement_id OR renews NOT IN (SELECT agreement_id FROM src WHERE agreement_id IS NOT NULL))
                                        THEN reject('foreign_key', 'renews ' || quoted(renews) || ' is not another agreement in this file')
        {{ currencies }}
        {{ conversion_failures }}
    END AS reject,
    {{ staging_columns }}
FROM converted
