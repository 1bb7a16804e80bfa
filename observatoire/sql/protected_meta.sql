-- How the protected tables were built (threshold, months covered) and the programmes they
-- hold, for observatoire/protected.py to choose the cells of a figure.
SELECT m.threshold, m.built_at, m.first_month, m.last_month,
       (SELECT list(DISTINCT programme_id ORDER BY programme_id) FROM public_counts
        WHERE programme_id <> '*') AS programmes
FROM public_counts_meta m
