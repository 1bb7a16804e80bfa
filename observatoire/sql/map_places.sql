-- The places to draw on the map: only those with coordinates inside the box in view
-- ($lat_min…$lon_max, the drawn territories' extent), in the territories of the filters,
-- narrowed to $place_programmes and $place_services (empty: all); only the columns the
-- hover needs, services and programmes joined as text. Capped at $limit rows.
SELECT l.nom, l.adresse, l.code_postal, c.name AS commune, l.latitude, l.longitude,
       array_to_string(l.services, ', ') AS services,
       array_to_string(l.programmes, ', ') AS programmes, l.date_maj
FROM lieux l JOIN communes c ON c.code = l.commune_code
WHERE l.latitude BETWEEN $lat_min AND $lat_max
  AND l.longitude BETWEEN $lon_min AND $lon_max
  AND ($include_demo OR NOT l.is_demo)
  AND {{territory_scope:c}}
  AND (len(CAST($place_programmes AS VARCHAR[])) = 0
       OR list_has_any(l.programmes, CAST($place_programmes AS VARCHAR[])))
  AND (len(CAST($place_services AS VARCHAR[])) = 0
       OR list_has_any(l.services, CAST($place_services AS VARCHAR[])))
ORDER BY l.latitude, l.longitude
LIMIT $limit
