-- Where a target stands on $today: adds progress, what remains, the pace needed and a
-- status to the rows of ALIAS (columns target_share, achieved, start_date, end_date).
-- Expanded by {{target_status:alias}}; the rule is documented on the « Objectifs » page
-- (Méthode) and in docs/objectifs-financements.md:
--   elapsed: share of the period start_date → end_date gone by on $today (0 to 1); none
--            without an end date (no deadline and no programme end date);
--   status:  'atteint' when achieved ≥ target; else 'non commencé' when nothing is recorded;
--            else 'en cours' without an end date; else 'en bonne voie' when achieved is at
--            least target × elapsed (the straight line from start to end), 'en retard' below;
--   monthly_pace: what remains divided by the months left (30,44 days); none once the end
--            date has passed or the target is met.
--   status_rank and lag (progress minus elapsed) sort the laggards first.
SELECT *,
       CASE WHEN target_share IS NULL OR target_share <= 0 THEN NULL
            WHEN achieved >= target_share THEN 'atteint'
            WHEN achieved <= 0 THEN 'non commencé'
            WHEN elapsed IS NULL THEN 'en cours'
            WHEN achieved >= target_share * elapsed THEN 'en bonne voie'
            ELSE 'en retard'
       END AS status,
       CASE status WHEN 'en retard' THEN 0 WHEN 'non commencé' THEN 1 WHEN 'en cours' THEN 2
                   WHEN 'en bonne voie' THEN 3 WHEN 'atteint' THEN 4 END AS status_rank,
       progress - coalesce(elapsed, 0) AS lag
FROM (
    SELECT *,
           achieved / nullif(target_share, 0) AS progress,
           greatest(target_share - achieved, 0) AS remaining,
           CASE WHEN end_date IS NULL OR start_date IS NULL THEN NULL
                WHEN $today >= end_date THEN 1.0
                WHEN $today <= start_date THEN 0.0
                ELSE date_diff('day', start_date, $today)
                     / date_diff('day', start_date, end_date)
           END AS elapsed,
           CASE WHEN end_date > $today THEN date_diff('day', $today, end_date) / 30.4375
           END AS months_left,
           CASE WHEN end_date > $today AND target_share > achieved
                THEN (target_share - achieved) / (date_diff('day', $today, end_date) / 30.4375)
           END AS monthly_pace
    FROM ALIAS
) ALIAS
