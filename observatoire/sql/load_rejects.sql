-- Rejected rows of one load, in the order of the user's spreadsheet.
SELECT row_number, "column", value, reason
FROM rejected_rows
WHERE load_id = $load_id
ORDER BY row_number, "column"
