-- Each territory's part of each target family of the chosen programmes, by THE territorial
-- share rule (etl/sql/target_shares.sql, stored in table target_shares whenever targets or
-- communes change). Columns: family, level, code, target_share, share_rule, share_of.
-- Expanded by {{target_shares:alias}}.
SELECT family, level, code, target_share, share_rule, share_of
FROM target_shares
WHERE len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, programme_id)
