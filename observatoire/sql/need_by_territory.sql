-- Need indicators (issue #13, the sheet and « Aide et besoins ») by territory of $level ('commune', 'ept' or 'departement'),
-- for every indicator of the catalogue, or only $indicator when not NULL.
-- Only each indicator's latest year is used (NULL years when the file gave none).
-- A score or a rate of an EPT or of the département is the mean of its communes' values
-- weighted by their population (communes.population, the warehouse's population municipale);
-- a count (measure 'effectif') is shown per 1 000 inhabitants, which is the same weighted
-- mean of the communes' rates per 1 000. Communes without a value are left out of both
-- sums; `communes` says how many communes made the value.
-- A count of people (cells of _published_indicator.sql, for a reader who is not interne) is
-- read from its protected cell of the territory and year (NULL unless published; status
-- says why, NULL for exact values): never from the values themselves.
WITH latest AS (
    SELECT indicator, coalesce(max(year), -1) AS year
    FROM indicator_values
    WHERE ($include_demo OR NOT is_demo) AND ($indicator IS NULL OR indicator = $indicator)
    GROUP BY indicator
),
base AS (
    SELECT CASE $level WHEN 'commune' THEN c.code WHEN 'ept' THEN c.ept_code
                ELSE '93' END AS code,
           v.indicator, v.year, c.population,
           CASE WHEN i.measure = 'effectif' THEN v.value * 1000 / c.population
                ELSE v.value END AS value,
           v.merged_from, v.is_demo
    FROM indicator_values v
    JOIN latest l ON l.indicator = v.indicator AND l.year = coalesce(v.year, -1)
    JOIN indicators i ON i.id = v.indicator
    JOIN communes c ON c.code = v.commune_code
    WHERE ($include_demo OR NOT v.is_demo) AND c.population > 0
),
agg AS (
    SELECT code, indicator, any_value(year) AS year,
           sum(value * population) / sum(population) AS value,
           sum(population)::BIGINT AS population, count(*) AS communes,
           string_agg(DISTINCT merged_from, ' ; ') AS merged_from, bool_or(is_demo) AS has_demo
    FROM base
    GROUP BY code, indicator
),
cells AS {{published_indicator}},
names AS (
    SELECT code, name FROM communes WHERE $level = 'commune'
    UNION ALL SELECT code, name FROM epts WHERE $level = 'ept'
    UNION ALL SELECT '93', 'Seine-Saint-Denis' WHERE $level = 'departement'
)
SELECT a.code, n.name, a.indicator, i.label, i.unit, i.scale_min, i.scale_max, i.direction,
       i.measure, i.grp, i.source, i.vintage, a.year,
       CASE WHEN NOT p.protected THEN a.value
            WHEN c.status = 'publie' THEN c.value * 1000 / a.population END AS value,
       a.population, a.communes, a.merged_from, a.has_demo,
       CASE WHEN p.protected THEN coalesce(c.status, 'publie') END AS status
FROM agg a JOIN indicators i ON i.id = a.indicator JOIN names n ON n.code = a.code
JOIN latest l ON l.indicator = a.indicator
CROSS JOIN LATERAL (
    SELECT count(*) > 0 AS protected FROM cells WHERE cells.indicator = a.indicator
) p
LEFT JOIN cells c ON c.indicator = a.indicator AND c.level = $level AND c.territory_code = a.code
    AND c.period = CASE WHEN l.year = -1 THEN '-' ELSE CAST(l.year AS VARCHAR) END
ORDER BY a.code, i.grp, a.indicator
