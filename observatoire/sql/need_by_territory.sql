-- Need indicators (issue #13, the sheet and « Aide et besoins ») by territory of $level ('commune', 'ept' or 'departement'),
-- for every indicator of the catalogue, or only $indicator when not NULL.
-- Only each indicator's latest year is used (NULL years when the file gave none).
-- A score or a rate of an EPT or of the département is the mean of its communes' values
-- weighted by their population (communes.population, the warehouse's population municipale);
-- a count (measure 'effectif') is shown per 1 000 inhabitants, which is the same weighted
-- mean of the communes' rates per 1 000. Communes without a value are left out of both
-- sums; `communes` says how many communes made the value.
WITH latest AS (
    SELECT indicator, max(year) AS year
    FROM indicator_values
    WHERE ($include_demo OR NOT is_demo) AND ($indicator IS NULL OR indicator = $indicator)
    GROUP BY indicator
),
base AS (
    SELECT CASE $level WHEN 'commune' THEN c.code WHEN 'ept' THEN c.ept_code
                ELSE '93' END AS code,
           CASE $level WHEN 'commune' THEN c.name WHEN 'ept' THEN e.name
                ELSE 'Seine-Saint-Denis' END AS name,
           v.indicator, v.year, c.population,
           CASE WHEN i.measure = 'effectif' THEN v.value * 1000 / c.population
                ELSE v.value END AS value,
           v.merged_from, v.is_demo
    FROM indicator_values v
    JOIN latest l ON l.indicator = v.indicator AND l.year IS NOT DISTINCT FROM v.year
    JOIN indicators i ON i.id = v.indicator
    JOIN communes c ON c.code = v.commune_code
    JOIN epts e ON e.code = c.ept_code
    WHERE ($include_demo OR NOT v.is_demo) AND c.population > 0
)
SELECT b.code, b.name, b.indicator, i.label, i.unit, i.scale_min, i.scale_max, i.direction,
       i.measure, i.grp, i.source, i.vintage, any_value(b.year) AS year,
       sum(b.value * b.population) / sum(b.population) AS value,
       sum(b.population)::BIGINT AS population, count(*) AS communes,
       string_agg(DISTINCT b.merged_from, ' ; ') AS merged_from, bool_or(b.is_demo) AS has_demo
FROM base b JOIN indicators i ON i.id = b.indicator
GROUP BY ALL
ORDER BY b.code, i.grp, b.indicator
