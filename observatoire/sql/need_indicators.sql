-- The catalogue of need indicators (issue #13) that have values under the demonstration
-- filter, with the year of the values used (the latest; NULL when the file gave none: the
-- catalogue's vintage then says it).
SELECT i.id, i.label, i.unit, i.scale_min, i.scale_max, i.direction, i.measure, i.grp,
       i.source, i.vintage, max(v.year) AS year
FROM indicators i JOIN indicator_values v ON v.indicator = i.id
WHERE $include_demo OR NOT v.is_demo
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
ORDER BY i.grp, i.id <> 'ifn', i.label
