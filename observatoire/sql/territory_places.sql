-- Places of digital mediation (lieux, issue #13) in the territory of the global filters
-- ($ept, $communes): the $limit most recently updated (all of them when NULL, for a
-- download), then by commune and name.
SELECT l.nom AS name, c.name AS commune,
       nullif(trim(concat_ws(' ', nullif(trim(l.adresse), ''), l.code_postal)), '') AS address,
       array_to_string(l.programmes, ', ') AS programmes,
       array_to_string(l.services, ', ') AS services,
       l.date_maj, l.source, l.is_demo
FROM lieux l JOIN communes c ON c.code = l.commune_code
WHERE {{territory_scope:c}}
  AND ($include_demo OR NOT l.is_demo)
ORDER BY l.date_maj DESC NULLS LAST, c.name, l.nom, l.id
LIMIT $limit
