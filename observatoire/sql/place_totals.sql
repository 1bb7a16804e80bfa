-- How many places the filters keep, and how many of them have no coordinates (they are
-- counted, never drawn at a made-up spot).
SELECT count(*) AS places, count(*) FILTER (WHERE l.latitude IS NULL OR l.longitude IS NULL)
       AS unplaced, coalesce(bool_or(l.is_demo), false) AS has_demo
FROM lieux l JOIN communes c ON c.code = l.commune_code
WHERE ($include_demo OR NOT l.is_demo)
  AND {{territory_scope:c}}
  AND (len(CAST($place_programmes AS VARCHAR[])) = 0
       OR list_has_any(l.programmes, CAST($place_programmes AS VARCHAR[])))
  AND (len(CAST($place_services AS VARCHAR[])) = 0
       OR list_has_any(l.services, CAST($place_services AS VARCHAR[])))
