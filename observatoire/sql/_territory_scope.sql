-- Whether the commune row ALIAS (a row of communes) lies in the territory of the global
-- filters: the EPT $ept (NULL: all) and the communes $communes (empty: all). The one place
-- that says what the territory filter keeps. Expanded by {{territory_scope:ALIAS}}.
($ept IS NULL OR ALIAS.ept_code = $ept)
AND (len(CAST($communes AS VARCHAR[])) = 0 OR list_contains($communes, ALIAS.code))
