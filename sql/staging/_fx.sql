-- EUR per unit of each currency by date, EUR itself included, for the as-of joins of the
-- money tables (`ASOF ... ON currency = ... AND row_date >= rate_date`).
CREATE OR REPLACE TEMP VIEW fx AS
SELECT currency, rate_date, eur_per_unit FROM staging.fx_rates
UNION ALL
SELECT 'EUR' AS currency, DATE '0001-01-01' AS rate_date, 1::DECIMAL(24, 12) AS eur_per_unit;
