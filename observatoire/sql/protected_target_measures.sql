-- The measure of the protected tables (etl/protect.py: 'cible:' and a hash of the family)
-- of each target family that counts items handed to people, by the family's columns.
SELECT DISTINCT programme_id, indicator, item, public, operator, funder,
       'cible:' || hash(programme_id, indicator, item, public, operator, funder) AS measure
FROM targets
WHERE indicator = 'quantite'
