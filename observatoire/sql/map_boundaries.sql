-- Official boundaries of the territories of $level ('commune' | 'ept') as GeoJSON (WGS84),
-- with their source; empty until `python -m etl boundaries` has run.
SELECT b.code, b.geojson, b.source, l.loaded_at
FROM boundaries b JOIN loads l ON l.load_id = b.load_id
WHERE b.level = $level
ORDER BY b.code
