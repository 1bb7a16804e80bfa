-- Funding key figures under the global filters: the total, and how much of it is attributed
-- to a commune, to an EPT only, or to the whole département (never spread here).
SELECT
    coalesce(sum(f.amount_eur), 0)::DOUBLE AS total,
    coalesce(sum(f.amount_eur) FILTER (WHERE f.commune_code IS NOT NULL), 0)::DOUBLE
        AS to_communes,
    coalesce(sum(f.amount_eur) FILTER (WHERE f.commune_code IS NULL AND f.ept_code IS NOT NULL),
             0)::DOUBLE AS to_epts,
    coalesce(sum(f.amount_eur) FILTER (WHERE f.commune_code IS NULL AND f.ept_code IS NULL), 0)
        ::DOUBLE AS departement_wide,
    count(DISTINCT f.funder) AS funders,
    count(*) AS lines,
    coalesce(bool_or(f.is_demo), false) AS has_demo,
    (SELECT sum(population) FROM communes c WHERE {{territory_scope:c}})
        AS population
FROM funding f
LEFT JOIN communes f_c ON f_c.code = f.commune_code
WHERE {{funding_filter:f}}
