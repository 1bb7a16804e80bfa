-- Cells of the protected tables (etl/protect.py, table public_counts) that a public figure
-- is summed from: one measure, one dataset, lists of territories, programmes and periods
-- (observatoire/protected.py chooses them). A cell not stored is a published 0.
SELECT territory_code, programme_id, period, value, status
FROM public_counts
WHERE dataset = $dataset
  AND measure = $measure
  AND list_contains(CAST($territories AS VARCHAR[]), territory_code)
  AND list_contains(CAST($programmes AS VARCHAR[]), programme_id)
  AND list_contains(CAST($periods AS VARCHAR[]), period)
