-- Date range of the facts, for the period filter, and the latest load for source lines.
-- Distributions: their summary by day has the same first and last dates.
SELECT
    least(
        (SELECT min(date) FROM distribution_days), (SELECT min(date) FROM funding),
        (SELECT min(date) FROM conseillers)
    ) AS first_date,
    greatest(
        (SELECT max(date) FROM distribution_days), (SELECT max(date) FROM funding),
        (SELECT max(date) FROM conseillers)
    ) AS last_date,
    (SELECT max(loaded_at) FROM loads WHERE replaced_at IS NULL AND removed_at IS NULL) AS last_load
