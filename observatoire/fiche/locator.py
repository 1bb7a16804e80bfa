"""The fiche's locator map: the 39 communes as vector polygons, the territory highlighted.

The official contours stored in the warehouse (`warehouse.map_boundaries`, shaped as the map
page does with map_shapes.boundary_shapes) or, before any contours are loaded, the schematic tiles
of data/reference/tuiles-communes.csv (map_shapes.tile_shapes). Shapes are kept as plain lists of
rings in the shapes' own units (longitude already shrunk by cos(latitude)); the renderer fits
them in its box.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely

from observatoire import warehouse
from observatoire.map import shapes as map_shapes

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class LocatorMap:
    communes: dict[str, list[Ring]]  # code → outer rings
    outlines: dict[str, list[Ring]]  # EPT code → outer rings
    highlighted: frozenset[str]  # the territory's communes
    same_ept: frozenset[str]  # the other communes of its EPT
    labels: dict[str, str]  # tile abbreviations (schematic map only)
    schematic: bool
    source: str | None  # where the contours come from

    def bounds(self) -> tuple[float, float, float, float]:
        points = np.array([p for rings in self.communes.values() for r in rings for p in r])
        return (*points.min(axis=0), *points.max(axis=0))


def _rings(geometry: shapely.Geometry) -> list[Ring]:
    """The outer ring of each polygon (the 93's communes have no holes; a hole would be
    drawn filled)."""
    rings = []
    for polygon in shapely.get_parts(geometry):
        if shapely.get_type_id(polygon) == 3:
            rings.append([(float(x), float(y)) for x, y in np.asarray(polygon.exterior.coords)])
    return rings


@lru_cache(maxsize=4)
def _drawing(version: tuple, communes: tuple[tuple[str, str], ...]) -> tuple:
    """(commune rings, EPT rings, labels, schematic?, source) of the warehouse at VERSION:
    computed once for the 43 fiches of a run. COMMUNES: (code, ept_code) pairs."""
    territories = pd.DataFrame(communes, columns=["code", "ept_code"])
    boundaries = warehouse.map_boundaries("commune")
    ept_boundaries = warehouse.map_boundaries("ept")
    schematic = boundaries.empty or ept_boundaries.empty
    if schematic:
        shapes = map_shapes.tile_shapes(territories, "commune")
        outlines = map_shapes.tile_outlines(territories)
        labels = map_shapes.tile_labels("commune")
        source = None
    else:
        shapes = map_shapes.boundary_shapes(boundaries)
        outlines = map_shapes.boundary_shapes(ept_boundaries)
        labels = {}
        source = str(boundaries["source"].iloc[0])
    known = set(territories["code"])
    return (
        {c: _rings(g) for c, g in shapes.items() if c in known},
        {c: _rings(g) for c, g in outlines.items()},
        labels,
        schematic,
        source,
    )


def locator_map(code: str, is_ept: bool, communes: pd.DataFrame) -> LocatorMap:
    pairs = tuple(zip(communes["code"], communes["ept_code"], strict=True))
    rings, outlines, labels, schematic, source = _drawing(warehouse.db_version(), pairs)
    ept_code = code if is_ept else communes.loc[communes["code"] == code, "ept_code"].iloc[0]
    members = set(communes.loc[communes["ept_code"] == ept_code, "code"])
    highlighted = members if is_ept else {code}
    return LocatorMap(
        communes=rings,
        outlines=outlines,
        highlighted=frozenset(highlighted),
        same_ept=frozenset(members - highlighted),
        labels=labels,
        schematic=schematic,
        source=source,
    )
