-- Amounts by funder under the global filters, with the kind of funder, the share of the
-- total and euros per inhabitant of the selected territory.
WITH pop AS (
    SELECT sum(population) AS population FROM communes c
    WHERE {{territory_scope:c}}
)
SELECT f.funder, {{funding_funder_type:f}} AS funder_type,
       sum(f.amount_eur)::DOUBLE AS amount,
       sum(f.amount_eur)::DOUBLE / sum(sum(f.amount_eur)::DOUBLE) OVER () AS share,
       sum(f.amount_eur)::DOUBLE / any_value(pop.population) AS per_inhabitant,
       coalesce(sum(f.amount_eur) FILTER (WHERE f.commune_code IS NULL AND f.ept_code IS NULL),
                0)::DOUBLE AS departement_wide,
       count(DISTINCT f.programme_id) AS programmes,
       count(*) AS lines
FROM funding f
LEFT JOIN communes f_c ON f_c.code = f.commune_code
CROSS JOIN pop
WHERE {{funding_filter:f}}
GROUP BY f.funder, funder_type
ORDER BY amount DESC, f.funder
