-- Official boundaries, loaded by `python -m etl boundaries` (download or user file).
-- One row per current commune (39) and per EPT (4, dissolved from their communes):
-- the simplified geometry in WGS84 (EPSG:4326) as GeoJSON text.
CREATE TABLE boundaries (
    code VARCHAR NOT NULL,             -- current INSEE code, or SIREN of the EPT
    level VARCHAR NOT NULL,            -- commune | ept
    geojson VARCHAR NOT NULL,          -- GeoJSON geometry (Polygon or MultiPolygon), WGS84
    source VARCHAR NOT NULL,           -- where the contours come from, for the pages' source line
    load_id INTEGER NOT NULL,          -- loads.load_id (kind 'boundaries')
    PRIMARY KEY (level, code)
);
