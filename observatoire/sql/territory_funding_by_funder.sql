-- Euros committed per funder under the global filters: with a territory filter, the money
-- attributed to its communes (and, for an EPT, to the EPT itself).
SELECT f.funder, sum(f.amount_eur)::DOUBLE AS amount_eur, count(*) AS records,
       bool_or(f.is_demo) AS has_demo
FROM funding f LEFT JOIN communes f_c ON f_c.code = f.commune_code
WHERE {{funding_filter:f}}
GROUP BY f.funder
ORDER BY amount_eur DESC, f.funder
