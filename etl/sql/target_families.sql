-- One row per target family (programme_id + indicator + item + public + operator + funder,
-- see target_shares.sql), described by its top target: the département target, else the
-- EPT targets, else the commune targets. target_value is that level's total; scope_code is
-- set when that level has a single target. family is an integer key, the hash of the six
-- key columns (the same in _target_facts.sql, target_shares.sql and target_progress.sql).
-- Stored in table target_families by etl/target_shares.py whenever targets change, for
-- every programme; read through observatoire/sql/_target_families.sql. Ties among the top
-- level's targets are broken the same way every time: the largest target, then its scope
-- code and label (a rebuild never changes a family's label, unit or source).
SELECT hash(programme_id, indicator, item, public, operator, funder) AS family,
       programme_id, indicator, item, public, operator, funder,
       first(scope ORDER BY scope_rank, target_value DESC, scope_code, label) AS scope,
       CASE WHEN count(*) FILTER (WHERE scope_rank = top_rank) = 1
            THEN first(scope_code ORDER BY scope_rank, scope_code) END AS scope_code,
       sum(target_value) FILTER (WHERE scope_rank = top_rank) AS target_value,
       first(label ORDER BY scope_rank, target_value DESC, scope_code, label) AS label,
       first(unit ORDER BY scope_rank, target_value DESC, scope_code, label) AS unit,
       min(deadline) FILTER (WHERE scope_rank = top_rank) AS deadline,
       first(source ORDER BY scope_rank, target_value DESC, scope_code, label) AS source
FROM (
    SELECT *, min(scope_rank) OVER (PARTITION BY programme_id, indicator, item, public,
                                                 operator, funder) AS top_rank
    FROM (
        SELECT *,
               CASE scope WHEN 'departement' THEN 0 WHEN 'ept' THEN 1 ELSE 2 END AS scope_rank
        FROM targets
    )
)
GROUP BY programme_id, indicator, item, public, operator, funder
