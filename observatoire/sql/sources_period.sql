-- The period the records under the filters cover, per kind of record (distributions,
-- funding, conseillers): the « données du … au … » of the source lines. Distributions are
-- read from their summary by day, which has the records' first and last dates.
SELECT 'distributions' AS kind, min(d.date) AS first_date, max(d.date) AS last_date
FROM distribution_days d
JOIN communes d_c ON d_c.code = d.commune_code
WHERE {{facts_filter:d}}
UNION ALL
SELECT 'funding', min(f.date), max(f.date)
FROM funding f
LEFT JOIN communes f_c ON f_c.code = f.commune_code
WHERE {{funding_filter:f}}
UNION ALL
SELECT 'conseillers', min(p.date), max(p.date)
FROM conseillers p
JOIN communes p_c ON p_c.code = p.commune_code
WHERE {{facts_filter:p}}
