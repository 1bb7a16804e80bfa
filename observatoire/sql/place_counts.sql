-- Places of digital mediation (table lieux) per territory of $level ('commune' | 'ept'),
-- counted by their commune (with or without coordinates), narrowed to the national
-- programmes $place_programmes and the services $place_services (empty: all).
-- Same columns as map_values.sql; a territory without any place counts 0.
WITH territory AS {{territory:c}},
p AS (
    SELECT commune_code, count(*) AS places, bool_or(is_demo) AS is_demo
    FROM lieux
    WHERE ($include_demo OR NOT is_demo)
      AND (len(CAST($place_programmes AS VARCHAR[])) = 0
           OR list_has_any(programmes, CAST($place_programmes AS VARCHAR[])))
      AND (len(CAST($place_services AS VARCHAR[])) = 0
           OR list_has_any(services, CAST($place_services AS VARCHAR[])))
    GROUP BY commune_code
)
SELECT t.code, t.name, t.ept_code, t.ept_name, sum(t.population)::BIGINT AS population,
       coalesce(sum(p.places), 0)::DOUBLE AS value, coalesce(sum(p.places), 0) AS records,
       coalesce(bool_or(p.is_demo), false) AS has_demo
FROM territory t LEFT JOIN p ON p.commune_code = t.commune_code
GROUP BY t.code, t.name, t.ept_code, t.ept_name
ORDER BY t.name
