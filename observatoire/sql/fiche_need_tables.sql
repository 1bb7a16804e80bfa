-- The need-side tables of issue #13 this warehouse holds (indicators, indicator_values, lieux):
-- the territory fiche shows « Besoins » and the places only where they exist (an older
-- warehouse has none of them).
SELECT table_name
FROM duckdb_tables()
WHERE schema_name = 'main' AND table_name IN ('indicators', 'indicator_values', 'lieux')
ORDER BY table_name
