-- Quantities distributed per item under the global filters.
SELECT d.item, sum(d.quantity) AS quantity
FROM {{distribution_facts}} d
JOIN communes d_c ON d_c.code = d.commune_code
WHERE {{facts_filter:d}}
GROUP BY d.item
ORDER BY quantity DESC
