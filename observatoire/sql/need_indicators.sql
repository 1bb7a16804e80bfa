-- The catalogue of need-side indicators (table indicators, loaded by etl/need/) that have
-- values under the demonstration filter, with the years of their values (year = the latest,
-- the one every page uses; NULL when the file gave none: the catalogue's vintage says it).
-- The IFN group first, the IFN total first in it.
SELECT * FROM (
    SELECT i.id, i.label, i.unit, i.scale_min, i.scale_max, i.direction, i.measure, i.grp,
           i.source, i.vintage, min(v.year) AS year_min, max(v.year) AS year_max,
           max(v.year) AS year, bool_or(v.is_demo) AS has_demo
    FROM indicators i JOIN indicator_values v ON v.indicator = i.id
    WHERE $include_demo OR NOT v.is_demo
    GROUP BY ALL
)
ORDER BY grp <> 'Fragilité numérique', grp, id <> 'ifn', label
