-- Cells of the protected tables for several measures at once (observatoire/protected.py
-- sums them: the items of a distribution, a breakdown by programme or by month). A cell not
-- stored is a published 0.
SELECT measure, territory_code, programme_id, period, value, status
FROM public_counts
WHERE dataset = $dataset
  AND list_contains(CAST($measures AS VARCHAR[]), measure)
  AND list_contains(CAST($territories AS VARCHAR[]), territory_code)
  AND list_contains(CAST($programmes AS VARCHAR[]), programme_id)
  AND list_contains(CAST($periods AS VARCHAR[]), period)
