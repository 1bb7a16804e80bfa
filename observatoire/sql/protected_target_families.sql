-- The quantity target families of the protected tables (measure cible:<family>, as built by
-- etl/protect.py), with the columns that key a target row of target_progress.sql.
SELECT DISTINCT 'cible:' || hash(programme_id, indicator, item, public, operator, funder)
           AS measure,
       programme_id, indicator, item, public, operator, funder
FROM targets
WHERE indicator = 'quantite'
