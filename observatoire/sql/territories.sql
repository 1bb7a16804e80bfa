-- Communes and EPTs for the filter widgets.
SELECT c.code, c.name, c.ept_code, e.name AS ept_name, c.population
FROM communes c JOIN epts e ON e.code = c.ept_code
ORDER BY c.name
