-- How many places of digital mediation the territory of the global filters has, how old
-- their updates are (before $check_before: « à vérifier » or worse; before $update_before:
-- « à actualiser »), their sources and whether any is a demonstration place; read whole,
-- whatever the number shown. The sheet and the PDF fiche both read it (observatoire/territory.py).
SELECT count(*) AS places,
       min(l.date_maj) AS oldest, max(l.date_maj) AS newest,
       count(*) FILTER (WHERE l.date_maj < $update_before) AS to_update,
       count(*) FILTER (WHERE l.date_maj < $check_before AND l.date_maj >= $update_before)
           AS to_check,
       count(*) FILTER (WHERE l.date_maj IS NULL) AS undated,
       coalesce(list_sort(list_distinct(list(l.source))), []) AS sources,
       coalesce(bool_or(l.is_demo), false) AS has_demo
FROM lieux l JOIN communes c ON c.code = l.commune_code
WHERE {{territory_scope:c}}
  AND ($include_demo OR NOT l.is_demo)
