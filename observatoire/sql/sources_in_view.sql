-- What the figures under the filters come from: the press releases of the programmes in view
-- and the live loads of records (user files, demonstration data), for source lines. KIND of
-- a file is the kind of records it loaded (distributions, funding, conseillers…); published
-- indicators and places have their own source lines (with their vintage).
SELECT 'communique' AS kind, s.title AS label, s.publisher, s.date AS date, NULL AS records
FROM sources s
WHERE s.id IN (
    SELECT source FROM programmes
    WHERE len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, id)
)
UNION ALL
SELECT CASE WHEN l.is_demo THEN 'demo' ELSE 'fichier' END, l.source_label, NULL,
    max(l.loaded_at)::DATE, l.kind
FROM loads l
WHERE l.replaced_at IS NULL AND l.removed_at IS NULL
  AND l.kind NOT IN ('reference', 'boundaries', 'indicateurs', 'lieux')
  AND ($include_demo OR NOT l.is_demo)
GROUP BY ALL
ORDER BY kind, date
