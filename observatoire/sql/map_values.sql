-- One value per territory of $level ('commune' or 'ept') for the map: the measure $measure
-- ('quantite' | 'personnes' | 'euros' | 'postes') under the global filters, narrowed by $key
-- (an item for 'quantite', a funder for 'euros'; NULL: all).
-- value is NULL when the territory has no record of that kind (pas de données), 0 when it
-- has records but none that count (e.g. tablets only, when ordinateurs are mapped).
-- 'quantite' without item counts equipment (not accompaniments); 'personnes' counts one
-- person per item given one per person (everything but data recharges).
-- Money given to an EPT counts for the EPT, not for its communes; département-wide money
-- is on no territory (reported beside the map).
WITH territory AS {{territory:c}},
facts AS (
    SELECT d.commune_code, NULL::VARCHAR AS ept_code,
           CASE WHEN $measure = 'personnes' THEN
                    CASE WHEN d.item <> 'recharge' THEN d.quantity ELSE 0 END
                WHEN $key IS NULL THEN
                    CASE WHEN d.item <> 'accompagnement' THEN d.quantity ELSE 0 END
                WHEN d.item = $key THEN d.quantity ELSE 0 END::DOUBLE AS value,
           d.is_demo, d.records
    FROM {{distribution_facts}} d JOIN communes d_c ON d_c.code = d.commune_code
    WHERE $measure IN ('quantite', 'personnes') AND {{facts_filter:d}}
    UNION ALL
    SELECT f.commune_code, f.ept_code,
           CASE WHEN $key IS NULL OR f.funder = $key THEN f.amount_eur ELSE 0 END::DOUBLE,
           f.is_demo, 1
    FROM funding f LEFT JOIN communes f_c ON f_c.code = f.commune_code
    WHERE $measure = 'euros' AND (f.commune_code IS NOT NULL OR f.ept_code IS NOT NULL)
      AND {{funding_filter:f}}
    UNION ALL
    SELECT p.commune_code, NULL::VARCHAR, p.posts::DOUBLE, p.is_demo, 1
    FROM conseillers p JOIN communes p_c ON p_c.code = p.commune_code
    WHERE $measure = 'postes' AND {{facts_filter:p}}
),
by_code AS (
    SELECT CASE $level WHEN 'ept' THEN coalesce(c.ept_code, x.ept_code)
                ELSE x.commune_code END AS code,
           sum(x.value) AS value, sum(x.records) AS records, bool_or(x.is_demo) AS has_demo
    FROM facts x LEFT JOIN communes c ON c.code = x.commune_code
    GROUP BY 1
)
SELECT t.code, t.name, t.ept_code, t.ept_name, sum(t.population)::BIGINT AS population,
       any_value(b.value) AS value, coalesce(any_value(b.records), 0) AS records,
       coalesce(any_value(b.has_demo), false) AS has_demo
FROM territory t LEFT JOIN by_code b ON b.code = t.code
GROUP BY t.code, t.name, t.ept_code, t.ept_name
ORDER BY t.name
