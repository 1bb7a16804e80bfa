-- Whether a territory filter is set at all (an EPT or communes), written on the parameters
-- (a constant filter, cheap to plan). Expanded by {{territory_chosen}}.
$ept IS NOT NULL OR len(CAST($communes AS VARCHAR[])) > 0
