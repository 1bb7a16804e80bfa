-- For each kind of record the demonstration generates: whether live loads (not replaced, not
-- removed) brought real records and demonstration records of it (warehouse.demo_superseded).
WITH live AS (
    SELECT load_id FROM loads WHERE replaced_at IS NULL AND removed_at IS NULL
),
kinds AS (
    SELECT 'distributions' AS kind, is_demo FROM distribution_months
    WHERE load_id IN (SELECT load_id FROM live) GROUP BY ALL
    UNION ALL
    SELECT 'funding', is_demo FROM funding
    WHERE load_id IN (SELECT load_id FROM live) GROUP BY ALL
    UNION ALL
    SELECT 'conseillers', is_demo FROM conseillers
    WHERE load_id IN (SELECT load_id FROM live) GROUP BY ALL
)
SELECT k.kind,
       coalesce(bool_or(NOT x.is_demo), false) AS has_real,
       coalesce(bool_or(x.is_demo), false) AS has_demo
FROM (VALUES ('distributions'), ('funding'), ('conseillers')) k(kind)
LEFT JOIN kinds x ON x.kind = k.kind
GROUP BY k.kind
