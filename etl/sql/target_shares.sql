-- THE territorial share rule: each territory's part of a target, for every EPT and every
-- commune, stored in table target_shares by etl/target_shares.py whenever targets or
-- communes change; read by target_territory_progress.sql (maps, breakdowns) and
-- target_progress.sql (a territory filter) through observatoire/sql/_target_shares.sql;
-- documented in docs/objectifs-financements.md.
--
-- A target "family" is the key programme_id + indicator + item + public + operator + funder;
-- a family holds a département target and/or explicit EPT or commune targets. Its key
-- (family) is the hash of those six columns: an integer joins faster than a list.
-- Top-down, at each level:
--   1. a territory's own explicit target wins ('objectif explicite');
--   2. otherwise it gets a part of the target above it (its EPT's explicit target, else the
--      département target): what remains of that target once the explicit targets below it
--      are taken out (never below zero), shared pro rata of the population municipale 2023
--      of the territories without a target of their own ('prorata de la population');
--   3. a family with no target above (e.g. a single commune target) concerns only the
--      territories that have one; an EPT then gets the sum of its communes' targets.
-- Columns: family, level ('ept' | 'commune'), code, target_share, share_rule, share_of
-- (the scope of the target the share comes from: 'departement' | 'ept' | 'commune').
-- Shares depend on nothing but the family's own targets (and populations), so the shares of
-- all programmes, filtered afterwards, are those of the chosen programmes.
WITH tg AS (
    SELECT hash(programme_id, indicator, item, public, operator, funder) AS family,
           scope, scope_code, target_value
    FROM targets
),
families AS (SELECT DISTINCT family FROM tg),
dep AS (
    SELECT family, sum(target_value) AS value FROM tg WHERE scope = 'departement' GROUP BY ALL
),
ept_ex AS (
    SELECT family, scope_code AS code, sum(target_value) AS value
    FROM tg WHERE scope = 'ept' GROUP BY ALL
),
com_ex AS (
    SELECT family, scope_code AS code, sum(target_value) AS value
    FROM tg WHERE scope = 'commune' GROUP BY ALL
),
com_ex_by_ept AS (
    SELECT x.family, c.ept_code AS code, sum(x.value) AS value
    FROM com_ex x JOIN communes c ON c.code = x.code
    GROUP BY ALL
),
ept_grid AS (
    SELECT f.family, p.code, p.population, x.value AS explicit, d.value AS dept_value,
           ce.value AS communes_explicit,
           coalesce(sum(x.value) OVER (PARTITION BY f.family), 0) AS explicit_total,
           sum(CASE WHEN x.value IS NULL THEN p.population END)
               OVER (PARTITION BY f.family) AS rest_population
    FROM families f
    CROSS JOIN (SELECT ept_code AS code, sum(population) AS population
                FROM communes GROUP BY ALL) p
    LEFT JOIN ept_ex x ON x.family = f.family AND x.code = p.code
    LEFT JOIN dep d ON d.family = f.family
    LEFT JOIN com_ex_by_ept ce ON ce.family = f.family AND ce.code = p.code
),
ept_share AS (
    SELECT family, code,
           -- what the EPT's communes without a target of their own share (rule 1 or 2)
           CASE WHEN explicit IS NOT NULL THEN explicit
                WHEN dept_value IS NOT NULL THEN
                    greatest(dept_value - explicit_total, 0) * population / rest_population
           END AS parent_share,
           coalesce(parent_share, communes_explicit) AS target_share,
           CASE WHEN explicit IS NOT NULL OR dept_value IS NULL THEN 'objectif explicite'
                ELSE 'prorata de la population' END AS share_rule,
           CASE WHEN explicit IS NOT NULL THEN 'ept'
                WHEN dept_value IS NOT NULL THEN 'departement'
                ELSE 'commune' END AS share_of
    FROM ept_grid
),
com_grid AS (
    SELECT f.family, c.code, c.population, x.value AS explicit, e.parent_share,
           e.share_of AS parent_share_of,
           coalesce(sum(x.value) OVER (PARTITION BY f.family, c.ept_code), 0) AS explicit_in_ept,
           sum(CASE WHEN x.value IS NULL THEN c.population END)
               OVER (PARTITION BY f.family, c.ept_code) AS rest_population
    FROM families f
    CROSS JOIN communes c
    LEFT JOIN com_ex x ON x.family = f.family AND x.code = c.code
    LEFT JOIN ept_share e ON e.family = f.family AND e.code = c.ept_code
)
SELECT family, 'ept' AS level, code, target_share, share_rule, share_of
FROM ept_share
WHERE target_share IS NOT NULL
UNION ALL
SELECT family, 'commune' AS level, code,
       CASE WHEN explicit IS NOT NULL THEN explicit
            ELSE greatest(parent_share - explicit_in_ept, 0) * population / rest_population
       END AS target_share,
       CASE WHEN explicit IS NOT NULL THEN 'objectif explicite'
            ELSE 'prorata de la population' END AS share_rule,
       CASE WHEN explicit IS NOT NULL THEN 'commune' ELSE parent_share_of END AS share_of
FROM com_grid
WHERE explicit IS NOT NULL OR parent_share IS NOT NULL
