-- What counts towards each target family, in every territory, under the non-territorial
-- global filters (programmes, period, demonstration data), summed by family, commune, EPT,
-- month and demonstration flag; the consumer chooses the territories. Expanded by
-- {{target_facts:alias}}.
--   quantite: distributions of the programme, restricted to the family's item, public and
--             operator when they are set;
--   montant:  funding of the programme (of the family's funder when set), in euros;
--   projets:  funding lines of the programme (one per project);
--   postes:   conseiller numérique posts of the programme.
-- commune_code is NULL for money given to an EPT or to the whole département, ept_code is
-- NULL for the latter. family is the integer key of _target_families.sql (a hash of the six
-- key columns: joins and groups on it are much cheaper than on a list).
-- For speed, each fact table is first summed by month on the columns a family can match on
-- (a few thousand rows even at 10 million records), so that the matching to families, the
-- joins with communes and everything the consumers do run on those sums, not on the records.
-- The period is filtered day by day before that, so month sums stay exact. The consumer
-- defines a one-row CTE target_grain(by_month): when false, month is NULL and the sums are
-- over the whole period (far fewer groups: cheaper, for consumers that need no months).
WITH fam AS (
    SELECT DISTINCT hash(programme_id, indicator, item, public, operator, funder) AS family,
           programme_id, indicator, item, public, operator, funder
    FROM targets
    WHERE len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, programme_id)
),
dist AS (
    SELECT programme_id, item, public, operator, commune_code,
           CASE WHEN (SELECT by_month FROM target_grain)
                THEN date_trunc('month', date)::DATE END AS month,
           is_demo, sum(quantity) AS value
    FROM {{distribution_facts}}
    WHERE programme_id IN (SELECT programme_id FROM fam WHERE indicator = 'quantite')
      AND ($date_from IS NULL OR date >= $date_from)
      AND ($date_to IS NULL OR date <= $date_to)
      AND (NOT is_demo OR $demo_distributions)
    GROUP BY ALL
),
fund AS (
    SELECT programme_id, funder, commune_code, ept_code,
           CASE WHEN (SELECT by_month FROM target_grain)
                THEN date_trunc('month', date)::DATE END AS month, is_demo,
           sum(amount_eur) AS amount, count(*) AS lines
    FROM funding
    WHERE programme_id IN (SELECT programme_id FROM fam WHERE indicator IN ('montant', 'projets'))
      AND ($date_from IS NULL OR date >= $date_from)
      AND ($date_to IS NULL OR date <= $date_to)
      AND (NOT is_demo OR $demo_funding)
    GROUP BY ALL
),
posts AS (
    SELECT programme_id, commune_code,
           CASE WHEN (SELECT by_month FROM target_grain)
                THEN date_trunc('month', date)::DATE END AS month,
           is_demo,
           sum(posts) AS value
    FROM conseillers
    WHERE programme_id IN (SELECT programme_id FROM fam WHERE indicator = 'postes')
      AND ($date_from IS NULL OR date >= $date_from)
      AND ($date_to IS NULL OR date <= $date_to)
      AND (NOT is_demo OR $demo_conseillers)
    GROUP BY ALL
),
matched AS (
    SELECT fam.family, d.month, d.commune_code, c.ept_code, d.value::DOUBLE AS value, d.is_demo
    FROM fam
    JOIN dist d ON d.programme_id = fam.programme_id
    JOIN communes c ON c.code = d.commune_code
    WHERE fam.indicator = 'quantite'
      AND (fam.item IS NULL OR d.item = fam.item)
      AND (fam.public IS NULL OR d.public = fam.public)
      AND (fam.operator IS NULL OR d.operator = fam.operator)
    UNION ALL
    SELECT fam.family, f.month, f.commune_code, coalesce(c.ept_code, f.ept_code) AS ept_code,
           CASE fam.indicator WHEN 'montant' THEN f.amount::DOUBLE ELSE f.lines END AS value,
           f.is_demo
    FROM fam
    JOIN fund f ON f.programme_id = fam.programme_id
    LEFT JOIN communes c ON c.code = f.commune_code
    WHERE fam.indicator IN ('montant', 'projets')
      AND (fam.funder IS NULL OR f.funder = fam.funder)
    UNION ALL
    SELECT fam.family, p.month, p.commune_code, c.ept_code, p.value::DOUBLE AS value, p.is_demo
    FROM fam
    JOIN posts p ON p.programme_id = fam.programme_id
    JOIN communes c ON c.code = p.commune_code
    WHERE fam.indicator = 'postes'
)
SELECT family, commune_code, ept_code, month, is_demo, sum(value) AS value
FROM matched
GROUP BY ALL
