-- Achieved against target for every target under the global filters, with its status on
-- $today (_target_status.sql) and its cumulative achievement month by month (monthly).
-- Without a territory filter: one row per target, each counted over its own scope.
-- With a territory filter: one row per target family (_target_families.sql) that has a share
-- in the territory, by the territorial share rule (etl/sql/target_shares.sql): for an EPT, the
-- EPT's share and everything attributed to the EPT; for communes, the sum of their shares
-- and of what was achieved in those of them that have one. Money given to the whole
-- département is never spread: it is reported beside (departement_wide_not_shared); a target
-- whose records all go to the whole département is flagged (departement_scale) with the
-- département's progress (departement_progress), for protected.departement_scale.
-- headline: a target that is not a "dont …" sub-target of the release.
WITH target_grain AS (SELECT true AS by_month),  -- facts by month, for the series
facts AS {{target_facts:f}},
shares AS {{target_shares:s}},
families AS {{target_families:fm}},
-- Whether a territory filter is set, and whether it is a choice of communes, is written on
-- the parameters themselves rather than read from a one-row CTE: plain constant filters,
-- cheaper to plan and to run than scalar subqueries.
selection_share AS (
    SELECT family, sum(target_share) AS target_share,
           CASE WHEN count(DISTINCT share_rule) = 1 THEN min(share_rule)
                ELSE 'objectif explicite et prorata de la population' END AS share_rule
    FROM shares
    WHERE CASE WHEN len(CAST($communes AS VARCHAR[])) > 0
               THEN level = 'commune' AND list_contains($communes, code)
               ELSE level = 'ept' AND code = $ept END
    GROUP BY family
),
target_rows AS (
    SELECT t.rowid AS target_row,
           hash(t.programme_id, t.indicator, t.item, t.public, t.operator, t.funder) AS family,
           t.programme_id, t.indicator, t.item, t.public, t.operator, t.funder, t.label, t.unit,
           t.scope, t.scope_code, t.deadline, t.source, t.target_value,
           t.target_value AS target_share, 'objectif entier' AS share_rule
    FROM targets t
    WHERE NOT {{territory_chosen}}
      AND (len(CAST($programmes AS VARCHAR[])) = 0 OR list_contains($programmes, t.programme_id))
    UNION ALL
    SELECT fm.first_rowid AS target_row, fm.family,
           fm.programme_id, fm.indicator, fm.item, fm.public, fm.operator, fm.funder, fm.label,
           fm.unit, fm.scope, fm.scope_code, fm.deadline, fm.source, fm.target_value,
           sh.target_share, sh.share_rule
    FROM families fm
    JOIN selection_share sh ON sh.family = fm.family
    WHERE {{territory_chosen}}
),
-- One branch per case rather than a CASE on every row, and the commune case as a join on
-- the shares rather than a correlated subquery on each fact row.
matched AS (
    -- no territory filter: each target over its own scope
    SELECT r.target_row, f.month, f.value, f.is_demo
    FROM target_rows r
    JOIN facts f ON f.family = r.family
    WHERE NOT {{territory_chosen}}
      AND (r.scope = 'departement'
           OR (r.scope = 'ept' AND f.ept_code = r.scope_code)
           OR (r.scope = 'commune' AND f.commune_code = r.scope_code))
    UNION ALL
    -- communes: what was achieved in those of the selection that have a share of the family
    SELECT r.target_row, f.month, f.value, f.is_demo
    FROM target_rows r
    JOIN shares s ON s.family = r.family
    JOIN facts f ON f.family = r.family AND f.commune_code = s.code
    WHERE len(CAST($communes AS VARCHAR[])) > 0
      AND s.level = 'commune' AND list_contains($communes, s.code)
    UNION ALL
    -- an EPT: everything attributed to it
    SELECT r.target_row, f.month, f.value, f.is_demo
    FROM target_rows r
    JOIN facts f ON f.family = r.family
    WHERE $ept IS NOT NULL AND NOT len(CAST($communes AS VARCHAR[])) > 0
      AND f.ept_code = $ept
),
-- Total, demonstration flag and cumulative month series in one pass over the month sums.
series AS (
    SELECT target_row, sum(value) AS achieved, bool_or(has_demo) AS has_demo,
           list({'month': month, 'achieved': cumulative} ORDER BY month) AS monthly
    FROM (
        SELECT target_row, month, value, has_demo,
               sum(value) OVER (PARTITION BY target_row ORDER BY month) AS cumulative
        FROM (
            SELECT target_row, month, sum(value) AS value, bool_or(is_demo) AS has_demo
            FROM matched
            GROUP BY ALL
        )
    )
    GROUP BY target_row
),
departement_wide AS (
    SELECT family, sum(value) AS amount
    FROM facts
    WHERE commune_code IS NULL AND ept_code IS NULL
    GROUP BY family
),
-- An action run at the département's scale: everything recorded for the family is given to
-- the whole département, nothing to a commune or an EPT. A territory's share of it is never
-- « non commencé »: the territory reads it as such, with the département's progress beside.
departement_scale AS (
    SELECT family, sum(value) AS departement_achieved,
           bool_and(commune_code IS NULL AND ept_code IS NULL) AS departement_only
    FROM facts
    GROUP BY family
),
base AS (
    SELECT r.target_row, r.programme_id, pr.name AS programme_name, r.indicator, r.item,
           r.label, r.unit, r.scope, r.scope_code, r.deadline, r.public, r.operator, r.funder,
           r.target_value, r.target_share, r.share_rule,
           coalesce(se.achieved, 0) AS achieved,
           coalesce(se.has_demo, false) AS has_demo,
           CASE WHEN r.indicator = 'montant'
                     AND {{territory_chosen}}
                THEN coalesce(dw.amount, 0) END AS departement_wide_not_shared,
           {{territory_chosen}} AND coalesce(ds.departement_only, false) AS departement_scale,
           ds.departement_achieved / nullif(r.target_value, 0) AS departement_progress,
           NOT starts_with(lower(coalesce(r.label, '')), 'dont') AS headline,
           r.source, s.title AS source_title, s.date AS source_date,
           pr.start_date, coalesce(r.deadline, pr.end_date) AS end_date,
           coalesce(se.monthly, []) AS monthly
    FROM target_rows r
    JOIN programmes pr ON pr.id = r.programme_id
    LEFT JOIN sources s ON s.id = r.source
    LEFT JOIN series se ON se.target_row = r.target_row
    LEFT JOIN departement_wide dw ON dw.family = r.family
    LEFT JOIN departement_scale ds ON ds.family = r.family
    WHERE r.target_share > 0
)
SELECT * FROM {{target_status:base}}
ORDER BY target_row
