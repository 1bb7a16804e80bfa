-- The items of the protected tables (measures item:<item>), for the public figures by item
-- (observatoire/protected.py).
SELECT DISTINCT substr(measure, 6) AS item
FROM public_counts
WHERE starts_with(measure, 'item:')
ORDER BY item
