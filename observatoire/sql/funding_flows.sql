-- Links of the flow diagram funder → programme → territory under the global filters.
-- The territory is the EPT (whole département view) or, with a territory filter, the
-- commune; money not attributed to a commune stays on its own node (« EPT … (non ventilé) »,
-- « Échelle départementale (non ventilé) »): it is never spread.
WITH flows AS (
    SELECT f.funder, {{funding_funder_type:f}} AS funder_type, p.name AS programme,
           CASE
               WHEN f.commune_code IS NULL AND f.ept_code IS NULL
                   THEN 'Échelle départementale (non ventilé)'
               WHEN NOT {{territory_chosen}} THEN e.name
               WHEN f.commune_code IS NULL THEN 'EPT ' || e.name || ' (non ventilé)'
               ELSE f_c.name
           END AS territory,
           f.amount_eur::DOUBLE AS amount
    FROM funding f
    LEFT JOIN communes f_c ON f_c.code = f.commune_code
    JOIN programmes p ON p.id = f.programme_id
    LEFT JOIN epts e ON e.code = coalesce(f_c.ept_code, f.ept_code)
    WHERE {{funding_filter:f}}
)
SELECT 1 AS stage, funder AS source, any_value(funder_type) AS source_type, programme AS target,
       sum(amount) AS amount
FROM flows GROUP BY funder, programme
UNION ALL
SELECT 2 AS stage, programme AS source, NULL AS source_type, territory AS target,
       sum(amount) AS amount
FROM flows GROUP BY programme, territory
ORDER BY stage, amount DESC
