-- Per-commune quantities for the selected communes. NULL means "no record" (pas de
-- données), which a commune with records but none of a kind does not get: it gets 0.
SELECT c.code, c.name, e.name AS ept_name, c.population,
       CASE WHEN count(d.quantity) > 0 THEN
           coalesce(sum(d.quantity) FILTER (WHERE d.item <> 'accompagnement'), 0) END
           AS items_distributed,
       CASE WHEN count(d.quantity) > 0 THEN
           coalesce(sum(d.quantity) FILTER (WHERE d.item <> 'recharge'), 0) END
           AS people_reached
FROM communes c
JOIN epts e ON e.code = c.ept_code
LEFT JOIN (
    SELECT d.*
    FROM {{distribution_facts}} d
    JOIN communes d_c ON d_c.code = d.commune_code
    WHERE {{facts_filter:d}}
) d ON d.commune_code = c.code
WHERE {{territory_scope:c}}
GROUP BY ALL
ORDER BY c.name
