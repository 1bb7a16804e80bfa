-- « Répartir une enveloppe » (issue #23): the communes of the territory of the global filters
-- (_territory_scope.sql) with their population and their need under the indicator $indicator
-- (its latest year), turned so that more need weighs more: as it is for 'fragile_haut' and
-- 'neutre'; for 'fragile_bas' its gap to the top of its scale (or to the largest value of the
-- communes when the catalogue gives no scale). A count (measure 'effectif') is taken per
-- 1 000 inhabitants, as everywhere else. need is NULL for a commune without a value.
-- Current help is not read here: a lecteur's comes from the protected tables
-- (protected.map_values), never from the records. Nor is a count of people of the need
-- side (cells of _published_indicator.sql, for a reader who is not interne): its commune's
-- protected cell of that year; need and indicator_value are NULL where it is hidden, and
-- need_status says why (NULL for exact values).
WITH latest AS (
    SELECT coalesce(max(year), -1) AS year
    FROM indicator_values
    WHERE indicator = $indicator AND ($include_demo OR NOT is_demo)
),
meta AS (
    SELECT direction, scale_max, measure FROM indicators WHERE id = $indicator
),
cells AS {{published_indicator}},
protected AS (
    SELECT p.territory_code AS code, p.value, p.status
    FROM cells p CROSS JOIN latest l
    WHERE p.indicator = $indicator AND p.level = 'commune'
      AND p.period = CASE WHEN l.year = -1 THEN '-' ELSE CAST(l.year AS VARCHAR) END
),
vals AS (
    SELECT v.commune_code AS code,
           CASE WHEN p.status IS NOT NULL AND p.status <> 'publie' THEN NULL
                WHEN m.measure = 'effectif' THEN coalesce(p.value, v.value) * 1000 / c.population
                ELSE v.value END AS value,
           v.is_demo,
           CASE WHEN (SELECT count(*) FROM protected) > 0 THEN coalesce(p.status, 'publie')
                END AS status
    FROM indicator_values v
    JOIN communes c ON c.code = v.commune_code
    CROSS JOIN latest l CROSS JOIN meta m
    LEFT JOIN protected p ON p.code = v.commune_code
    WHERE v.indicator = $indicator AND coalesce(v.year, -1) = l.year
      AND ($include_demo OR NOT v.is_demo) AND c.population > 0
),
top AS (
    SELECT coalesce(any_value(m.scale_max), max(v.value)) AS top
    FROM vals v CROSS JOIN meta m
)
SELECT c.code, c.name, c.ept_code, e.name AS ept_name, c.population,
       CASE WHEN v.status <> 'publie' THEN NULL  -- a hidden count of people
            WHEN v.value IS NULL THEN NULL  -- no value: greatest() would make it 0
            WHEN m.direction = 'fragile_bas' THEN greatest(t.top - v.value, 0)
            ELSE greatest(v.value, 0) END AS need,
       v.value AS indicator_value,
       coalesce(v.is_demo, false) AS need_is_demo, v.status AS need_status
FROM communes c
JOIN epts e ON e.code = c.ept_code
LEFT JOIN vals v ON v.code = c.code
LEFT JOIN meta m ON true
CROSS JOIN top t
WHERE {{territory_scope:c}}
ORDER BY c.name
