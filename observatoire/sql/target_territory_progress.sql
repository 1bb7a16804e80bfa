-- Each target's share and achievement in every territory of a level ($level = 'commune' or
-- 'ept'), for the maps and the breakdown tables. The share rule is etl/sql/target_shares.sql.
-- One row per target family (see _target_families.sql; target_row identifies it, as in
-- target_progress.sql under a territory filter) and territory that has a share.
-- The territory filter chooses the rows (communes of the selection; the EPT chosen, or the
-- EPTs of the communes chosen); each row counts what was achieved in the whole territory
-- under the other filters (programmes, period, demonstration data). Money attributed to an
-- EPT counts for the EPT, not for its communes; département-wide money for no territory.
WITH shares AS {{target_shares:s}},
families AS {{target_families:fm}},
target_grain AS (SELECT false AS by_month),  -- totals only: no month in the facts
facts AS {{target_facts:f}},
territory AS (
    SELECT 'commune' AS level, c.code, c.name, c.ept_code, e.name AS ept_name, c.population
    FROM communes c JOIN epts e ON e.code = c.ept_code
    WHERE {{territory_scope:c}}
    UNION ALL
    SELECT 'ept' AS level, e.code, e.name, e.code AS ept_code, e.name AS ept_name,
           sum(c.population) AS population
    FROM epts e JOIN communes c ON c.ept_code = e.code
    GROUP BY ALL
    HAVING bool_or({{territory_scope:c}})  -- the EPT chosen, or those of the communes chosen
),
achieved AS (
    SELECT family, CASE $level WHEN 'commune' THEN commune_code ELSE ept_code END AS code,
           sum(value) AS achieved, bool_or(is_demo) AS has_demo
    FROM facts
    GROUP BY ALL
),
-- An action run at the département's scale (as in target_progress.sql): nothing of the
-- family recorded in any territory.
departement_scale AS (
    SELECT family, sum(value) AS departement_achieved,
           bool_and(commune_code IS NULL AND ept_code IS NULL) AS departement_only
    FROM facts
    GROUP BY family
),
base AS (
    SELECT fm.first_rowid AS target_row, fm.programme_id, pr.name AS programme_name,
           fm.indicator, fm.item, fm.public, fm.operator, fm.funder, fm.label, fm.unit,
           fm.scope, fm.scope_code, fm.target_value, fm.deadline, fm.source,
           t.level, t.code AS territory_code, t.name AS territory_name, t.ept_code, t.ept_name,
           t.population,
           s.target_share, s.share_rule, s.share_of,
           coalesce(a.achieved, 0) AS achieved,
           coalesce(a.has_demo, false) AS has_demo,
           coalesce(ds.departement_only, false) AS departement_scale,
           ds.departement_achieved / nullif(fm.target_value, 0) AS departement_progress,
           pr.start_date, coalesce(fm.deadline, pr.end_date) AS end_date
    FROM shares s
    JOIN territory t ON t.level = s.level AND t.code = s.code
    JOIN families fm ON fm.family = s.family
    JOIN programmes pr ON pr.id = fm.programme_id
    LEFT JOIN achieved a ON a.family = s.family AND a.code = s.code
    LEFT JOIN departement_scale ds ON ds.family = s.family
    WHERE s.level = $level
)
SELECT * FROM {{target_status:base}}
ORDER BY programme_id, indicator, item NULLS FIRST, public NULLS FIRST, operator NULLS FIRST,
         funder NULLS FIRST, territory_name
