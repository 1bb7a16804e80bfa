-- Monthly quantities per item under the global filters.
SELECT date_trunc('month', d.date)::DATE AS month, d.item, sum(d.quantity) AS quantity
FROM {{distribution_facts}} d
JOIN communes d_c ON d_c.code = d.commune_code
WHERE {{facts_filter:d}}
GROUP BY ALL
ORDER BY month, d.item
