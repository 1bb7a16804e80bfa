-- Whether the warehouse holds demonstration distributions at all: without any, a figure
-- with demonstration data included holds real records only (a small one reads « < 5 »).
SELECT coalesce(bool_or(is_demo), false) AS has_demo FROM distribution_months
