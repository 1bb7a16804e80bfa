-- Every load, newest first, for the « Données » page.
SELECT load_id, kind, source_label, file_name, loaded_at, rows_read, rows_loaded,
       rows_rejected, is_demo, replaced_at, loaded_by, removed_at, removed_by
FROM loads
ORDER BY load_id DESC
