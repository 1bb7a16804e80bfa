"""The map's shapes: the official contours (stored GeoJSON) or, when they are not loaded,
the schematic tile map (one equal square per commune, data/reference/tuiles-communes.csv).
Longitude is shrunk by cos(latitude) so that a plot with equal axis scales keeps shapes true.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import shapely

from core.settings import REFERENCE_DIR

TILES_FILE = REFERENCE_DIR / "tuiles-communes.csv"
# Latitude of the 93: one degree of longitude is cos(48.9°) ≈ 0.66 of a degree of latitude.
LON_SCALE = math.cos(math.radians(48.91))


def _scaled(geometry: shapely.Geometry) -> shapely.Geometry:
    """Longitude shrunk by cos(latitude) so that equal axis scales keep shapes true."""
    return shapely.transform(geometry, lambda xy: xy * np.array([LON_SCALE, 1.0]))


def boundary_shapes(boundaries: pd.DataFrame) -> dict[str, shapely.Geometry]:
    """Code → shape (scaled for drawing) from the stored GeoJSON contours."""
    return {
        code: _scaled(shapely.from_geojson(text))
        for code, text in zip(boundaries["code"], boundaries["geojson"], strict=True)
    }


@cache
def _tiles() -> pd.DataFrame:
    return pd.read_csv(TILES_FILE, dtype={"code": str, "row": int, "col": int, "abbr": str})


TILE_SIZE, TILE_GAP = 1.0, 0.08


def tile_shapes(territories: pd.DataFrame, level: str) -> dict[str, shapely.Geometry]:
    """The schematic map: one equal square per commune (positions in
    data/reference/tuiles-communes.csv); at EPT level, the union of its communes' tiles."""
    tiles = _tiles().merge(territories[["code", "ept_code"]], on="code")
    squares = {
        row.code: shapely.box(
            row.col * TILE_SIZE,
            -row.row * TILE_SIZE - (TILE_SIZE - TILE_GAP),
            row.col * TILE_SIZE + (TILE_SIZE - TILE_GAP),
            -row.row * TILE_SIZE,
        )
        for row in tiles.itertuples()
    }
    if level == "commune":
        return squares
    return _dissolve(squares, dict(zip(tiles["code"], tiles["ept_code"], strict=True)))


def tile_outlines(territories: pd.DataFrame) -> dict[str, shapely.Geometry]:
    """EPT outlines around their communes' tiles."""
    tiles = _tiles().merge(territories[["code", "ept_code"]], on="code")
    return _dissolve(
        tile_shapes(territories, "commune"),
        dict(zip(tiles["code"], tiles["ept_code"], strict=True)),
    )


def _dissolve(
    shapes: dict[str, shapely.Geometry], group_of: dict[str, str]
) -> dict[str, shapely.Geometry]:
    groups: dict[str, list[shapely.Geometry]] = {}
    for code, shape in shapes.items():
        groups.setdefault(group_of[code], []).append(
            shape.buffer(TILE_GAP / 2 + 1e-6, join_style=2)
        )
    return {
        group: shapely.union_all(parts).buffer(-TILE_GAP / 4, join_style=2)
        for group, parts in groups.items()
    }


def tile_labels(level: str) -> dict[str, str]:
    """Abbreviations drawn on the tiles (communes only)."""
    if level != "commune":
        return {}
    return dict(zip(_tiles()["code"], _tiles()["abbr"], strict=True))


def shapes_for(
    boundaries: pd.DataFrame,
    ept_boundaries: pd.DataFrame,
    table: pd.DataFrame,
    level: str,
    communes: pd.DataFrame,
) -> tuple[dict, dict, dict[str, str], bool]:
    """(shapes, EPT outlines, tile labels, schematic?) for the territories of TABLE: the
    official contours when loaded, otherwise the schematic tile map. COMMUNES: code and
    ept_code of every commune (the tiles of an EPT)."""
    epts = set(table["ept_code"])
    schematic = boundaries.empty or ept_boundaries.empty
    if schematic:
        communes = communes[communes["ept_code"].isin(epts)]
        if level == "commune":
            communes = communes[communes["code"].isin(table["code"])]
        shapes = tile_shapes(communes, level)
        outlines = tile_outlines(communes)
        labels = tile_labels(level)
    else:
        shapes = boundary_shapes(boundaries)
        outlines = boundary_shapes(ept_boundaries)
        labels = {}
    shapes = {c: g for c, g in shapes.items() if c in set(table["code"])}
    outlines = {c: g for c, g in outlines.items() if c in epts}
    return shapes, outlines, labels, schematic
