-- Global filters for funding aliased ALIAS, left-joined with communes as ALIAS_c.
-- A territory filter keeps the rows attributed to that territory: rows of its communes,
-- and, for an EPT filter without a commune filter, rows given to the EPT itself.
-- Département-wide rows (no commune, no EPT) are kept only without a territory filter;
-- they are never spread over communes here. Not {{territory_scope}}: money has its own rule
-- (a choice of communes keeps their rows whatever the EPT; an EPT keeps its own rows too).
-- Expanded by {{funding_filter:ALIAS}}. Demonstration records count unless real records of
-- their kind are loaded (warehouse.demo_flags).
(
    NOT {{territory_chosen}}
    OR (len(CAST($communes AS VARCHAR[])) > 0 AND list_contains($communes, ALIAS.commune_code))
    OR (len(CAST($communes AS VARCHAR[])) = 0 AND $ept IS NOT NULL
        AND coalesce(ALIAS_c.ept_code, ALIAS.ept_code) = $ept)
)
AND (len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, ALIAS.programme_id))
AND ($date_from IS NULL OR ALIAS.date >= $date_from)
AND ($date_to IS NULL OR ALIAS.date <= $date_to)
AND (NOT ALIAS.is_demo OR $demo_funding)
