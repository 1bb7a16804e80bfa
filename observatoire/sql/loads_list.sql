-- Every load, newest first, for the « Données » page, with the column mapping it was loaded
-- with (column_mappings, issue #21), if any.
SELECT l.load_id, l.kind, l.source_label, l.file_name, l.loaded_at, l.rows_read,
       l.rows_loaded, l.rows_rejected, l.is_demo, l.replaced_at, l.loaded_by, l.removed_at,
       l.removed_by,
       (SELECT string_agg(m.mapping || CASE WHEN m.remembered THEN ' (reprise)' ELSE '' END, ' ; ')
        FROM column_mappings m WHERE m.load_id = l.load_id) AS mapping
FROM loads l
ORDER BY l.load_id DESC
