-- The protected cells of the counts of people loaded as indicators (etl/protect_need.py,
-- table public_indicator_counts) that a reader who may not see exact small counts reads
-- ($exact false), in the dataset of the demonstration filter; none for an interne. An
-- indicator with cells here is read from them only. Used as `cells AS` followed by the template published_indicator.
(SELECT level, territory_code, indicator, period, value, status
 FROM public_indicator_counts
 WHERE NOT $exact AND dataset = CASE WHEN $include_demo THEN 'tout' ELSE 'reel' END)
