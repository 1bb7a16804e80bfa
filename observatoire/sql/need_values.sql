-- One value of the need-side indicator $indicator per territory of $level ('commune' | 'ept')
-- under the territory filters. A commune without a value is NULL (pas de données).
-- At EPT level: the sum of its communes for a count (measure 'effectif'); for a score or a
-- rate, the mean of its communes weighted by their population municipale 2023, over the
-- communes that have a value (a commune without one weighs nothing).
-- A count of people (cells of _published_indicator.sql, for a reader who is not interne) is
-- read from its protected cells of period 'dernier' (each commune's latest value, as here):
-- a whole commune or EPT is its cell, any other selection the sum of its communes' cells,
-- masked (status 'masque') when one of them is hidden; status is NULL for exact values.
WITH territory AS {{territory:c}},
measure AS (SELECT coalesce(any_value(measure), 'score') AS m FROM indicators WHERE id = $indicator),
v AS (
    SELECT commune_code, max(year) AS year, arg_max(value, coalesce(year, 0)) AS value,
           bool_or(is_demo) AS is_demo
    FROM indicator_values
    WHERE indicator = $indicator AND ($include_demo OR NOT is_demo)
    GROUP BY commune_code
),
cells AS {{published_indicator}},
latest AS (SELECT * FROM cells WHERE indicator = $indicator AND period = 'dernier'),
secret AS (SELECT count(*) > 0 AS protected FROM latest),
grouped AS (
    SELECT t.code, t.name, t.ept_code, t.ept_name, sum(t.population)::BIGINT AS population,
           CASE WHEN (SELECT m FROM measure) = 'effectif' THEN sum(v.value)
                ELSE sum(v.value * t.population) FILTER (WHERE v.value IS NOT NULL)
                     / sum(t.population) FILTER (WHERE v.value IS NOT NULL) END AS value,
           count(v.value) AS records, max(v.year) AS year,
           coalesce(bool_or(v.is_demo), false) AS has_demo, count(*) AS communes,
           sum(p.value) AS cells_sum, coalesce(bool_or(p.status <> 'publie'), false) AS hides
    FROM territory t LEFT JOIN v ON v.commune_code = t.commune_code
    LEFT JOIN latest p ON p.level = 'commune' AND p.territory_code = t.commune_code
    GROUP BY t.code, t.name, t.ept_code, t.ept_name
),
whole AS (  -- the territories of $level whose every commune is in the selection
    SELECT CASE $level WHEN 'ept' THEN ept_code ELSE code END AS code, count(*) AS communes
    FROM communes GROUP BY 1
),
figures AS (
    SELECT g.*, s.protected,
           CASE WHEN NOT s.protected THEN NULL
                WHEN w.code IS NOT NULL THEN coalesce(c.status, 'publie')
                WHEN g.hides THEN 'masque' ELSE 'publie' END AS status,
           CASE WHEN w.code IS NOT NULL THEN c.value ELSE g.cells_sum END AS published
    FROM grouped g CROSS JOIN secret s
    LEFT JOIN whole w ON w.code = g.code AND w.communes = g.communes
    LEFT JOIN latest c ON c.level = $level AND c.territory_code = g.code
)
SELECT code, name, ept_code, ept_name, population,
       CASE WHEN status IS NULL THEN value WHEN status = 'publie' THEN published END AS value,
       records, year, has_demo, status
FROM figures
ORDER BY name
