-- The records behind a territory sheet under the global filters: distributions, funding and
-- conseiller posts, one row each, newest first. Column names are the table's French headers.
-- $kinds and $programme_names narrow them (empty: all); $limit keeps the newest (NULL: all),
-- so that the page never pulls a large commune's hundreds of thousands of records.
SELECT * FROM (
    SELECT 'Distribution' AS "Type", d.date AS "Date", d_c.name AS "Commune",
           pr.name AS "Programme", d.item AS "Objet", d.quantity::DOUBLE AS "Quantité",
           NULL::DOUBLE AS "Montant (€)", d.public AS "Public", d.operator AS "Opérateur",
           d.is_demo AS "Démonstration", d.load_id AS "Chargement"
    FROM distributions d
    JOIN communes d_c ON d_c.code = d.commune_code
    JOIN programmes pr ON pr.id = d.programme_id
    WHERE {{facts_filter:d}}
    UNION ALL
    SELECT 'Financement', f.date, coalesce(f_c.name, 'EPT ' || e.name, 'Département'),
           pr.name, f.funder, NULL, f.amount_eur::DOUBLE, f.scheme, NULL, f.is_demo, f.load_id
    FROM funding f
    LEFT JOIN communes f_c ON f_c.code = f.commune_code
    LEFT JOIN epts e ON e.code = f.ept_code
    JOIN programmes pr ON pr.id = f.programme_id
    WHERE {{funding_filter:f}}
    UNION ALL
    SELECT 'Conseiller numérique', p.date, p_c.name, pr.name,
           'poste (' || coalesce(p.structure_type, 'structure non précisée') || ')',
           p.posts::DOUBLE, NULL, NULL, NULL, p.is_demo, p.load_id
    FROM conseillers p
    JOIN communes p_c ON p_c.code = p.commune_code
    JOIN programmes pr ON pr.id = p.programme_id
    WHERE {{facts_filter:p}}
)
WHERE (len(CAST($kinds AS VARCHAR[])) = 0 OR list_contains($kinds, "Type"))
  AND (len(CAST($programme_names AS VARCHAR[])) = 0
       OR list_contains($programme_names, "Programme"))
ORDER BY "Date" DESC, "Type", "Commune"
LIMIT $limit
