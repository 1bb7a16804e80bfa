-- The national programmes and the services named by the places (options of the map's
-- filters), with how many places name each; kind 'programme' or 'service'.
SELECT 'programme' AS kind, p AS value, count(*) AS places
FROM (SELECT unnest(programmes) AS p FROM lieux WHERE $include_demo OR NOT is_demo)
GROUP BY p
UNION ALL
SELECT 'service', s, count(*)
FROM (SELECT unnest(services) AS s FROM lieux WHERE $include_demo OR NOT is_demo)
GROUP BY s
ORDER BY kind, places DESC, value
