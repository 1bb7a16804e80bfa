-- Amounts by territory of a level ($level = 'commune' or 'ept') within the territory filter,
-- with euros per inhabitant (population municipale 2023).
-- amount: money attributed to the territory (for an EPT: to its communes and to the EPT).
-- Money not attributed to the territory, for an explicit, optional allocation pro rata of
-- population (the page shows it only on request, stating the rule):
--   ept_not_allocated (communes only): the commune's share of the money given to its EPT;
--   departement_not_allocated: its share of the money given to the whole département
--   (under the programme, period and demonstration filters, whatever the territory filter).
WITH territory AS (
    SELECT c.code, c.name, c.ept_code, e.name AS ept_name, c.population
    FROM communes c JOIN epts e ON e.code = c.ept_code
    WHERE $level = 'commune'
      AND {{territory_scope:c}}
    UNION ALL
    SELECT e.code, e.name, e.code AS ept_code, e.name AS ept_name, sum(c.population)
    FROM epts e JOIN communes c ON c.ept_code = e.code
    WHERE $level = 'ept'
    GROUP BY ALL
    HAVING bool_or({{territory_scope:c}})  -- the EPT chosen, or those of the communes chosen
),
other_filters AS (
    -- every funding row under the non-territorial filters
    SELECT f.*, coalesce(f_c.ept_code, f.ept_code) AS territory_ept
    FROM funding f LEFT JOIN communes f_c ON f_c.code = f.commune_code
    WHERE (len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, f.programme_id))
      AND ($date_from IS NULL OR f.date >= $date_from)
      AND ($date_to IS NULL OR f.date <= $date_to)
      AND (NOT f.is_demo OR $demo_funding)
),
attributed AS (
    SELECT CASE $level WHEN 'commune' THEN commune_code ELSE territory_ept END AS code,
           sum(amount_eur)::DOUBLE AS amount, bool_or(is_demo) AS has_demo
    FROM other_filters
    WHERE CASE $level WHEN 'commune' THEN commune_code IS NOT NULL
                      ELSE territory_ept IS NOT NULL END
    GROUP BY ALL
),
ept_only AS (
    SELECT ept_code, sum(amount_eur)::DOUBLE AS amount
    FROM other_filters WHERE commune_code IS NULL AND ept_code IS NOT NULL
    GROUP BY ALL
),
ept_pop AS (SELECT ept_code, sum(population) AS population FROM communes GROUP BY ALL),
departement AS (
    SELECT sum(amount_eur)::DOUBLE AS amount
    FROM other_filters WHERE commune_code IS NULL AND ept_code IS NULL
)
SELECT t.code, t.name, t.ept_code, t.ept_name, t.population,
       coalesce(a.amount, 0) AS amount,
       coalesce(a.amount, 0) / t.population AS per_inhabitant,
       CASE WHEN $level = 'commune'
            THEN coalesce(eo.amount, 0) * t.population / ep.population END AS ept_not_allocated,
       coalesce(d.amount, 0) * t.population / (SELECT sum(population) FROM communes)
           AS departement_not_allocated,
       coalesce(a.has_demo, false) AS has_demo
FROM territory t
LEFT JOIN attributed a ON a.code = t.code
LEFT JOIN ept_only eo ON eo.ept_code = t.ept_code
LEFT JOIN ept_pop ep ON ep.ept_code = t.ept_code
CROSS JOIN departement d
ORDER BY t.name
