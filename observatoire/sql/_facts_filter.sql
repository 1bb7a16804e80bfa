-- Global filters for a fact table aliased ALIAS (distributions, conseillers), joined with
-- communes as ALIAS_c. Expanded by {{facts_filter:ALIAS}}.
{{territory_scope:ALIAS_c}}
AND (len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, ALIAS.programme_id))
AND ($date_from IS NULL OR ALIAS.date >= $date_from)
AND ($date_to IS NULL OR ALIAS.date <= $date_to)
-- Demonstration records count unless real records of their kind are loaded (p: conseillers'
-- posts, d: distributions; warehouse.demo_flags).
AND (NOT ALIAS.is_demo OR CASE WHEN 'ALIAS' = 'p' THEN $demo_conseillers ELSE $demo_distributions END)
