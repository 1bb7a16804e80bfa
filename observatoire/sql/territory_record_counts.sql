-- How many records of each type and programme are behind a territory sheet under the global
-- filters (territory_records.sql lists them): the choices and counts the page shows without
-- reading the records (distributions are counted in their summaries).
SELECT x.kind AS "Type", pr.name AS "Programme", sum(x.n)::BIGINT AS records
FROM (
    SELECT 'Distribution' AS kind, d.programme_id, sum(d.records) AS n
    FROM {{distribution_facts}} d JOIN communes d_c ON d_c.code = d.commune_code
    WHERE {{facts_filter:d}}
    GROUP BY ALL
    UNION ALL
    SELECT 'Financement', f.programme_id, count(*)
    FROM funding f LEFT JOIN communes f_c ON f_c.code = f.commune_code
    WHERE {{funding_filter:f}}
    GROUP BY ALL
    UNION ALL
    SELECT 'Conseiller numérique', p.programme_id, count(*)
    FROM conseillers p JOIN communes p_c ON p_c.code = p.commune_code
    WHERE {{facts_filter:p}}
    GROUP BY ALL
) x
JOIN programmes pr ON pr.id = x.programme_id
GROUP BY ALL
ORDER BY "Type", "Programme"
