-- staging.fx_rates: EUR per unit of a currency from a date on (daily, monthly or sparser).
-- The {{ … }} parts are generated from pipelines/schema/inputs.yml (pipelines/schema/staging_sql.py);
-- `python -m pipelines.schema --show-sql fx_rates` prints the query as it runs.
WITH
{{ typed }}
SELECT
    _line,
    CASE
        {{ empty_and_missing }}
        WHEN repeated               THEN reject('duplicate_key', 'a rate for ' || currency || ' on ' || raw_rate_date || ' already appears on an earlier line')
        {{ parse_failures }}
        {{ currencies }}
        WHEN eur_per_unit <= 0      THEN reject('not_positive', 'eur_per_unit must be greater than 0')
        WHEN currency = 'EUR' AND eur_per_unit <> 1
                                    THEN reject('bad_rate', 'EUR is the base currency: its rate can only be 1')
    END AS reject,
    {{ staging_columns }}
FROM typed
