-- The records that count towards each target family, in every territory, under the
-- non-territorial global filters (programmes, period, demonstration data); the consumer
-- chooses the territories. Expanded by {{target_facts:alias}}.
--   quantite: distributions of the programme, restricted to the family's item, public and
--             operator when they are set;
--   montant:  funding of the programme (of the family's funder when set), in euros;
--   projets:  funding lines of the programme (one per project);
--   postes:   conseiller numérique posts of the programme.
-- commune_code is NULL for money given to an EPT or to the whole département, ept_code is
-- NULL for the latter.
WITH fam AS (
    SELECT DISTINCT [programme_id, indicator, item, public, operator, funder] AS family,
           programme_id, indicator, item, public, operator, funder
    FROM targets
    WHERE len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, programme_id)
),
matched AS (
    SELECT fam.family, d.date, d.commune_code, c.ept_code, d.quantity::DOUBLE AS value, d.is_demo
    FROM fam
    JOIN distributions d ON d.programme_id = fam.programme_id
    JOIN communes c ON c.code = d.commune_code
    WHERE fam.indicator = 'quantite'
      AND (fam.item IS NULL OR d.item = fam.item)
      AND (fam.public IS NULL OR d.public = fam.public)
      AND (fam.operator IS NULL OR d.operator = fam.operator)
    UNION ALL
    SELECT fam.family, f.date, f.commune_code, coalesce(c.ept_code, f.ept_code) AS ept_code,
           CASE fam.indicator WHEN 'montant' THEN f.amount_eur::DOUBLE ELSE 1 END AS value,
           f.is_demo
    FROM fam
    JOIN funding f ON f.programme_id = fam.programme_id
    LEFT JOIN communes c ON c.code = f.commune_code
    WHERE fam.indicator IN ('montant', 'projets')
      AND (fam.funder IS NULL OR f.funder = fam.funder)
    UNION ALL
    SELECT fam.family, p.date, p.commune_code, c.ept_code, p.posts::DOUBLE AS value, p.is_demo
    FROM fam
    JOIN conseillers p ON p.programme_id = fam.programme_id
    JOIN communes c ON c.code = p.commune_code
    WHERE fam.indicator = 'postes'
)
SELECT * FROM matched
WHERE ($date_from IS NULL OR date >= $date_from)
  AND ($date_to IS NULL OR date <= $date_to)
  AND ($include_demo OR NOT is_demo)
