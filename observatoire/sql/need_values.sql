-- One value of the need-side indicator $indicator per territory of $level ('commune' | 'ept')
-- under the territory filters. A commune without a value is NULL (pas de données).
-- At EPT level: the sum of its communes for a count (measure 'effectif'); for a score or a
-- rate, the mean of its communes weighted by their population municipale 2023, over the
-- communes that have a value (a commune without one weighs nothing).
WITH territory AS {{territory:c}},
measure AS (SELECT coalesce(any_value(measure), 'score') AS m FROM indicators WHERE id = $indicator),
v AS (
    SELECT commune_code, max(year) AS year, arg_max(value, coalesce(year, 0)) AS value,
           bool_or(is_demo) AS is_demo
    FROM indicator_values
    WHERE indicator = $indicator AND ($include_demo OR NOT is_demo)
    GROUP BY commune_code
)
SELECT t.code, t.name, t.ept_code, t.ept_name, sum(t.population)::BIGINT AS population,
       CASE WHEN (SELECT m FROM measure) = 'effectif' THEN sum(v.value)
            ELSE sum(v.value * t.population) FILTER (WHERE v.value IS NOT NULL)
                 / sum(t.population) FILTER (WHERE v.value IS NOT NULL) END AS value,
       count(v.value) AS records, max(v.year) AS year,
       coalesce(bool_or(v.is_demo), false) AS has_demo
FROM territory t LEFT JOIN v ON v.commune_code = t.commune_code
GROUP BY t.code, t.name, t.ept_code, t.ept_name
ORDER BY t.name
