-- Cost indicators per programme under the global filters, where both sides exist: euros
-- per item distributed, per person reached, per conseiller numérique post. Items and people
-- are counted as on the overview (key_figures.sql): items exclude accompaniments, people
-- exclude data recharges. With a territory filter, only the money attributed to the
-- territory counts (département-wide money is never spread). has_demo: the counts include
-- demonstration records (the money's own flag is in funding_summary.sql).
WITH money AS (
    SELECT f.programme_id, sum(f.amount_eur)::DOUBLE AS euros
    FROM funding f LEFT JOIN communes f_c ON f_c.code = f.commune_code
    WHERE {{funding_filter:f}}
    GROUP BY ALL
),
given AS (
    SELECT d.programme_id,
           sum(d.quantity) FILTER (WHERE d.item <> 'accompagnement') AS items,
           sum(d.quantity) FILTER (WHERE d.item <> 'recharge') AS people,
           bool_or(d.is_demo) AS has_demo
    FROM {{distribution_facts}} d JOIN communes d_c ON d_c.code = d.commune_code
    WHERE {{facts_filter:d}}
    GROUP BY ALL
),
posts AS (
    SELECT p.programme_id, sum(p.posts) AS posts, bool_or(p.is_demo) AS has_demo
    FROM conseillers p JOIN communes p_c ON p_c.code = p.commune_code
    WHERE {{facts_filter:p}}
    GROUP BY ALL
)
SELECT pr.id AS programme_id, pr.name AS programme_name, m.euros,
       g.items, g.people, po.posts,
       m.euros / nullif(g.items, 0) AS euros_per_item,
       m.euros / nullif(g.people, 0) AS euros_per_person,
       m.euros / nullif(po.posts, 0) AS euros_per_post,
       coalesce(g.has_demo, false) OR coalesce(po.has_demo, false) AS has_demo
FROM money m
JOIN programmes pr ON pr.id = m.programme_id
LEFT JOIN given g ON g.programme_id = m.programme_id
LEFT JOIN posts po ON po.programme_id = m.programme_id
WHERE m.euros > 0 AND (g.items > 0 OR g.people > 0 OR po.posts > 0)
ORDER BY m.euros DESC
