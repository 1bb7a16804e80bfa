-- The sources of the places (their loads), for the source line under the map and in its
-- exports.
SELECT DISTINCT ld.source_label, max(l.date_maj) OVER (PARTITION BY ld.source_label) AS last_update
FROM lieux l JOIN loads ld ON ld.load_id = l.load_id
WHERE ld.replaced_at IS NULL AND ($include_demo OR NOT l.is_demo)
ORDER BY ld.source_label
