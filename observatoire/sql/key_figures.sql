-- Overview key figures under the global filters.
-- people_reached counts one person per item given one per person (everything but data
-- recharges); a person who received two items is counted twice (an upper bound).
WITH d AS (
    SELECT
        sum(d.quantity) FILTER (WHERE d.item <> 'accompagnement') AS items_distributed,
        sum(d.quantity) FILTER (WHERE d.item <> 'recharge') AS people_reached,
        count(DISTINCT d.commune_code) AS communes_reached,
        bool_or(d.is_demo) AS has_demo_d
    FROM {{distribution_facts}} d
    JOIN communes d_c ON d_c.code = d.commune_code
    WHERE {{facts_filter:d}}
),
f AS (
    SELECT
        sum(f.amount_eur)::DOUBLE AS euros_committed,
        sum(f.amount_eur) FILTER (WHERE f.commune_code IS NULL AND f.ept_code IS NULL)::DOUBLE
            AS euros_departement_wide,
        bool_or(f.is_demo) AS has_demo_f
    FROM funding f
    LEFT JOIN communes f_c ON f_c.code = f.commune_code
    WHERE {{funding_filter:f}}
),
p AS (
    SELECT sum(p.posts) AS conseiller_posts, bool_or(p.is_demo) AS has_demo_p
    FROM conseillers p
    JOIN communes p_c ON p_c.code = p.commune_code
    WHERE {{facts_filter:p}}
),
pop AS (
    SELECT sum(population) AS population
    FROM communes c
    WHERE {{territory_scope:c}}
)
SELECT
    coalesce(items_distributed, 0) AS items_distributed,
    coalesce(people_reached, 0) AS people_reached,
    communes_reached,
    coalesce(euros_committed, 0) AS euros_committed,
    coalesce(euros_departement_wide, 0) AS euros_departement_wide,
    coalesce(conseiller_posts, 0) AS conseiller_posts,
    population,
    coalesce(has_demo_d, false) OR coalesce(has_demo_f, false) OR coalesce(has_demo_p, false)
        AS has_demo
FROM d, f, p, pop
