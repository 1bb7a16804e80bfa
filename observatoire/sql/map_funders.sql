-- Funders whose money is attributed to a commune or an EPT (the ones a map can show),
-- under the global filters, largest first.
SELECT f.funder, sum(f.amount_eur)::DOUBLE AS amount_eur
FROM funding f LEFT JOIN communes f_c ON f_c.code = f.commune_code
WHERE (f.commune_code IS NOT NULL OR f.ept_code IS NOT NULL) AND {{funding_filter:f}}
GROUP BY f.funder
ORDER BY amount_eur DESC, f.funder
