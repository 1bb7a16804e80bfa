-- Achieved against target for every target under the global filters.
-- With a territory filter, a département-wide target is shared pro rata of population
-- (share_rule = 'prorata'); a commune or EPT target counts only if its territory is selected.
-- headline: a target that is not a "dont …" sub-target of the release.
WITH sel AS (
    SELECT code, ept_code, population FROM communes
    WHERE ($ept IS NULL OR ept_code = $ept)
      AND (len(CAST($communes AS VARCHAR[])) = 0 OR list_contains($communes, code))
),
tot AS (SELECT sum(population) AS population FROM communes),
t AS (
    SELECT t.*, row_number() OVER () AS target_row,
        CASE t.scope
            WHEN 'departement' THEN (SELECT sum(population) FROM sel) / (SELECT population FROM tot)
            WHEN 'ept' THEN (SELECT sum(population) FROM sel WHERE ept_code = t.scope_code)
                / (SELECT sum(population) FROM communes WHERE ept_code = t.scope_code)
            ELSE (SELECT sum(population) FROM sel WHERE code = t.scope_code)
                / (SELECT population FROM communes WHERE code = t.scope_code)
        END AS share
    FROM targets t
    WHERE len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, t.programme_id)
),
d AS (
    SELECT d.programme_id, d.item, d.public, d.operator, d_c.ept_code, d.commune_code, d.quantity
    FROM distributions d JOIN communes d_c ON d_c.code = d.commune_code
    WHERE {{facts_filter:d}}
),
f_all AS (
    -- Département-wide funding under the non-territorial filters: reported beside a
    -- territorial view, never spread over it.
    SELECT f.programme_id, f.funder, f.amount_eur::DOUBLE AS amount_eur
    FROM funding f
    WHERE f.commune_code IS NULL AND f.ept_code IS NULL
      AND (len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, f.programme_id))
      AND ($date_from IS NULL OR f.date >= $date_from)
      AND ($date_to IS NULL OR f.date <= $date_to)
      AND ($include_demo OR NOT f.is_demo)
),
f AS (
    SELECT f.programme_id, f.funder, f.commune_code, coalesce(f_c.ept_code, f.ept_code) AS ept_code,
           f.amount_eur::DOUBLE AS amount_eur
    FROM funding f LEFT JOIN communes f_c ON f_c.code = f.commune_code
    WHERE {{funding_filter:f}}
),
p AS (
    SELECT p.programme_id, p_c.ept_code, p.commune_code, p.posts
    FROM conseillers p JOIN communes p_c ON p_c.code = p.commune_code
    WHERE {{facts_filter:p}}
),
achieved AS (
    SELECT t.target_row,
        CASE t.indicator
            WHEN 'quantite' THEN (
                SELECT coalesce(sum(d.quantity), 0) FROM d
                WHERE d.programme_id = t.programme_id
                  AND (t.item IS NULL OR d.item = t.item)
                  AND (t.public IS NULL OR d.public = t.public)
                  AND (t.operator IS NULL OR d.operator = t.operator)
                  AND (t.scope = 'departement'
                       OR (t.scope = 'ept' AND d.ept_code = t.scope_code)
                       OR (t.scope = 'commune' AND d.commune_code = t.scope_code)))
            WHEN 'montant' THEN (
                SELECT coalesce(sum(f.amount_eur), 0) FROM f
                WHERE f.programme_id = t.programme_id
                  AND (t.funder IS NULL OR f.funder = t.funder)
                  AND (t.scope = 'departement'
                       OR (t.scope = 'ept' AND f.ept_code = t.scope_code)
                       OR (t.scope = 'commune' AND f.commune_code = t.scope_code)))
            WHEN 'projets' THEN (
                SELECT count(*) FROM f
                WHERE f.programme_id = t.programme_id
                  AND (t.funder IS NULL OR f.funder = t.funder))
            WHEN 'postes' THEN (
                SELECT coalesce(sum(p.posts), 0) FROM p
                WHERE p.programme_id = t.programme_id
                  AND (t.scope = 'departement'
                       OR (t.scope = 'ept' AND p.ept_code = t.scope_code)
                       OR (t.scope = 'commune' AND p.commune_code = t.scope_code)))
        END AS achieved,
        CASE WHEN t.indicator = 'montant' AND ($ept IS NOT NULL
                  OR len(CAST($communes AS VARCHAR[])) > 0) THEN (
            SELECT coalesce(sum(f_all.amount_eur), 0) FROM f_all
            WHERE f_all.programme_id = t.programme_id
              AND (t.funder IS NULL OR f_all.funder = t.funder))
        END AS departement_wide_not_shared
    FROM t
)
SELECT
    t.programme_id, pr.name AS programme_name, t.indicator, t.item, t.label, t.unit,
    t.scope, t.scope_code, t.deadline, t.public, t.operator, t.funder,
    t.target_value,
    t.target_value * t.share AS target_share,
    CASE WHEN t.share IS NULL OR t.share = 0 THEN NULL
         WHEN t.share = 1 THEN 'entier' ELSE 'prorata' END AS share_rule,
    a.achieved::DOUBLE AS achieved,
    a.achieved / nullif(t.target_value * t.share, 0) AS progress,
    a.departement_wide_not_shared,
    NOT starts_with(lower(coalesce(t.label, '')), 'dont') AS headline,
    t.source, s.title AS source_title, s.date AS source_date
FROM t
JOIN achieved a USING (target_row)
JOIN programmes pr ON pr.id = t.programme_id
LEFT JOIN sources s ON s.id = t.source
WHERE t.share IS NOT NULL AND t.share > 0
ORDER BY t.target_row
