-- One row per target family of the chosen programmes, described by its top target
-- (etl/sql/target_families.sql, stored in table target_families whenever targets change),
-- and first_rowid: the first of its targets as they were loaded (their order on the pages,
-- and the same key as the target's own row when it has a single target). Expanded by
-- {{target_families:alias}}.
SELECT f.family, f.programme_id, f.indicator, f.item, f.public, f.operator, f.funder,
       f.scope, f.scope_code, f.target_value, f.label, f.unit, f.deadline, f.source,
       r.first_rowid
FROM target_families f
JOIN (
    SELECT hash(programme_id, indicator, item, public, operator, funder) AS family,
           min(rowid) AS first_rowid
    FROM targets
    GROUP BY 1
) r ON r.family = f.family
WHERE len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, f.programme_id)
