-- Distributions over a period that cuts a month (it does not start on the 1st or does not
-- end on a month's last day): the whole months inside the period, from $months_from to
-- before $months_until (observatoire/warehouse.py whole_months), from the summary by month;
-- the other days of the period from the summary by day. Columns of the summaries.
-- Expanded by {{distribution_facts}}.
SELECT * FROM distribution_months
WHERE ($months_from IS NULL OR date >= $months_from)
  AND ($months_until IS NULL OR date < $months_until)
UNION ALL
SELECT * FROM distribution_days
WHERE ($date_from IS NULL OR date >= $date_from)
  AND ($date_to IS NULL OR date <= $date_to)
  AND (date < $months_from OR date >= $months_until)
