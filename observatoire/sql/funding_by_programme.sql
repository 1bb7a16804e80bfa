-- Amounts by programme and scheme (France Relance, Plan de rebond, DSIL, Quartiers
-- Solidaires…) under the global filters, the best-funded programmes first.
WITH by_scheme AS (
    SELECT f.programme_id, p.name AS programme_name,
           coalesce(f.scheme, 'Non précisé') AS scheme,
           sum(f.amount_eur)::DOUBLE AS amount,
           string_agg(DISTINCT f.funder, ', ' ORDER BY f.funder) AS funders,
           count(*) AS lines
    FROM funding f
    LEFT JOIN communes f_c ON f_c.code = f.commune_code
    JOIN programmes p ON p.id = f.programme_id
    WHERE {{funding_filter:f}}
    GROUP BY f.programme_id, p.name, coalesce(f.scheme, 'Non précisé')
)
SELECT *, sum(amount) OVER (PARTITION BY programme_id) AS programme_amount
FROM by_scheme
ORDER BY programme_amount DESC, programme_name, amount DESC
