-- Distributions over a period that cuts a month (it does not start on the 1st or does not
-- end on a month's last day): the months wholly inside the period from the monthly summary,
-- the days of the cut months from the records (one record each). Columns of
-- distribution_months. Expanded by {{distribution_facts}} (observatoire/warehouse.py).
SELECT date, commune_code, programme_id, item, public, operator, is_demo, load_id,
       quantity, records
FROM distribution_months
WHERE ($date_from IS NULL OR date >= $date_from)
  AND ($date_to IS NULL OR last_day(date) <= $date_to)
UNION ALL
SELECT date, commune_code, programme_id, item, public, operator, is_demo, load_id,
       quantity, 1 AS records
FROM distributions
WHERE ($date_from IS NULL OR date >= $date_from)
  AND ($date_to IS NULL OR date <= $date_to)
  AND NOT (($date_from IS NULL OR date_trunc('month', date) >= $date_from)
           AND ($date_to IS NULL OR last_day(date) <= $date_to))
