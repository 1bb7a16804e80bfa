-- Monthly quantities per programme under the global filters (the territory sheet).
SELECT date_trunc('month', d.date)::DATE AS month, d.programme_id, pr.name AS programme_name,
       sum(d.quantity) AS quantity
FROM {{distribution_facts}} d
JOIN communes d_c ON d_c.code = d.commune_code
JOIN programmes pr ON pr.id = d.programme_id
WHERE {{facts_filter:d}}
GROUP BY ALL
ORDER BY month, programme_name
