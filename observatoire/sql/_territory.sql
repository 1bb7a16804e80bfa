-- The communes in the territory of the global filters ({{territory_scope}}), each labelled
-- with the territory of $level ('commune' | 'ept') it counts for: code and name are the
-- commune's, or its EPT's at EPT level (several rows per EPT then: group by code).
-- Used as `WITH territory AS {{territory:ALIAS}}`, ALIAS naming communes inside.
SELECT ALIAS.code AS commune_code,
       CASE $level WHEN 'ept' THEN ALIAS.ept_code ELSE ALIAS.code END AS code,
       CASE $level WHEN 'ept' THEN ALIAS_e.name ELSE ALIAS.name END AS name,
       ALIAS.ept_code, ALIAS_e.name AS ept_name, ALIAS.population
FROM communes ALIAS JOIN epts ALIAS_e ON ALIAS_e.code = ALIAS.ept_code
WHERE {{territory_scope:ALIAS}}
