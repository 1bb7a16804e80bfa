-- « Besoins » of a territory fiche: the scores of digital fragility (indicators of measure
-- 'score', on scale_min–scale_max: the IFN total and its sub-scores on 0–10), for the territory
-- of the filters and for the whole département. Each commune's latest value; a territory of
-- several communes (an EPT) and the département get the mean of their communes' values
-- weighted by population (communes without a value left out, and counted in `communes`).
-- Demonstration values follow $include_demo. The total (id 'ifn') comes first.
WITH latest AS (
    SELECT v.commune_code, v.indicator,
           arg_max(v.value, coalesce(v.year, 0)) AS value,
           max(v.year) AS year,
           bool_or(v.is_demo) AS is_demo
    FROM indicator_values v
    WHERE $include_demo OR NOT v.is_demo
    GROUP BY ALL
),
placed AS (
    SELECT l.*, c.population,
           {{territory_scope:c}} AS chosen
    FROM latest l
    JOIN communes c ON c.code = l.commune_code
)
SELECT i.id, i.label, i.unit, i.scale_min, i.scale_max, i.direction, i.source, i.vintage,
       sum(p.value * p.population) FILTER (WHERE p.chosen)
           / sum(p.population) FILTER (WHERE p.chosen) AS value,
       sum(p.value * p.population) / sum(p.population) AS departement,
       count(*) FILTER (WHERE p.chosen) AS communes,
       max(p.year) FILTER (WHERE p.chosen) AS year,
       coalesce(bool_or(p.is_demo) FILTER (WHERE p.chosen), false) AS has_demo
FROM indicators i
JOIN placed p ON p.indicator = i.id
WHERE i.measure = 'score'
GROUP BY i.id, i.label, i.unit, i.scale_min, i.scale_max, i.direction, i.source, i.vintage
HAVING count(*) FILTER (WHERE p.chosen) > 0
ORDER BY i.id <> 'ifn', i.label
