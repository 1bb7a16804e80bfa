-- « Répartir une enveloppe » (issue #23): the communes of the territory of the global filters
-- (_territory_scope.sql) with their population and their need under the indicator $indicator
-- (its latest year), turned so that more need weighs more: as it is for 'fragile_haut' and
-- 'neutre'; for 'fragile_bas' its gap to the top of its scale (or to the largest value of the
-- communes when the catalogue gives no scale). A count (measure 'effectif') is taken per
-- 1 000 inhabitants, as everywhere else. need is NULL for a commune without a value.
-- Current help is not read here: a lecteur's comes from the protected tables
-- (protected.map_values), never from the records.
WITH latest AS (
    SELECT coalesce(max(year), -1) AS year
    FROM indicator_values
    WHERE indicator = $indicator AND ($include_demo OR NOT is_demo)
),
meta AS (
    SELECT direction, scale_max, measure FROM indicators WHERE id = $indicator
),
vals AS (
    SELECT v.commune_code AS code,
           CASE WHEN m.measure = 'effectif' THEN v.value * 1000 / c.population
                ELSE v.value END AS value,
           v.is_demo
    FROM indicator_values v
    JOIN communes c ON c.code = v.commune_code
    CROSS JOIN latest l CROSS JOIN meta m
    WHERE v.indicator = $indicator AND coalesce(v.year, -1) = l.year
      AND ($include_demo OR NOT v.is_demo) AND c.population > 0
),
top AS (
    SELECT coalesce(any_value(m.scale_max), max(v.value)) AS top
    FROM vals v CROSS JOIN meta m
)
SELECT c.code, c.name, c.ept_code, e.name AS ept_name, c.population,
       CASE WHEN m.direction = 'fragile_bas' THEN greatest(t.top - v.value, 0)
            ELSE greatest(v.value, 0) END AS need,
       v.value AS indicator_value,
       coalesce(v.is_demo, false) AS need_is_demo
FROM communes c
JOIN epts e ON e.code = c.ept_code
LEFT JOIN vals v ON v.code = c.code
LEFT JOIN meta m ON true
CROSS JOIN top t
WHERE {{territory_scope:c}}
ORDER BY c.name
