"""The map figure and its click targets.

The figure draws each territory as a filled polygon on a plain cartesian plot with equal
scales: no map tiles, no world topojson, so it renders offline in the browser and in
kaleido. One legend entry per class, with its French bounds and its number of territories,
and « pas de données » in hatched grey, never as zero; masked territories (see
observatoire.disclosure) have their own legend entry, « < 5 (effectif masqué) », and no class.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
import shapely

from observatoire import fmt
from observatoire.charts import FONT, base_layout
from observatoire.classify import MASKED, MAX_CLASSES
from observatoire.disclosure import MASKED_NOTE
from observatoire.map import labels as map_labels
from observatoire.map import places as map_places
from observatoire.map.choices import NO_DATA, MapView, Units

# Under the map and in its exported images whenever the official contours are drawn.
CONTOURS_ATTRIBUTION = "Contours : IGN – ADMIN EXPRESS, Licence Ouverte"

NO_DATA_COLOUR = "#d9d9d9"
# Masked territories: white, cross-hatched in purple, apart from the classes (yellow, green,
# blue) and from the grey hatching of « pas de données ».
MASKED_PATTERN = {"shape": "x", "fgcolor": "#762a83", "size": 10, "solidity": 0.15}
NO_DATA_PATTERN = {"shape": "/", "fgcolor": "#7f7f7f", "size": 7, "solidity": 0.25}
OUTLINE_COLOUR = "#222222"


def class_colours(count: int) -> list[str]:
    """Sequential ColorBrewer YlGnBu (colour-blind safe), light to dark; the lightest step
    is skipped so no class can be mistaken for the grey of « pas de données »."""
    if count <= 0:
        return []
    if count == 1:
        return [plotly.colors.sample_colorscale("YlGnBu", [0.6])[0]]
    positions = [min(1.0, 0.2 + 0.8 * i / (count - 1)) for i in range(count)]
    return plotly.colors.sample_colorscale("YlGnBu", positions)


def _rings(geometry: shapely.Geometry) -> tuple[list[float | None], list[float | None]]:
    """x and y of every ring, separated by None (one filled shape each)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for polygon in shapely.get_parts(geometry):
        if shapely.get_type_id(polygon) != 3:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = np.asarray(ring.coords)
            xs.extend(coords[:, 0].tolist() + [None])
            ys.extend(coords[:, 1].tolist() + [None])
    return xs, ys


# Plotly draws text as HTML: the « < » of a mask label is written as an entity.
def territory_map(
    view: MapView,
    shapes: dict[str, shapely.Geometry],
    outlines: dict[str, shapely.Geometry],
    *,
    labels: Mapping[str, str] | None = None,
    schematic: bool = False,
    height: int = 760,
    names: Mapping[str, str] | None = None,
    show_names: bool = True,
    places: pd.DataFrame | None = None,
    today: date | None = None,
) -> go.Figure:
    """The choropleth of VIEW over SHAPES (code → shape), with the EPT OUTLINES drawn
    over it. A click anywhere on a territory selects one of its invisible points (see
    click_targets), whose customdata[0] is its code.

    NAMES (code → name): territory names written on the official contours (labels.py),
    visible when SHOW_NAMES (with_names turns them on for exports). PLACES (map_places
    rows): the places of digital mediation drawn over the territories, flagged by the
    freshness of their information on TODAY (places.py); never on the schematic map, where
    a point has no true position. The figure's layout.meta carries the attribution of the
    official contours, which exports.press_figure writes in the image's footer."""
    table, classes, units = view.table, view.classes, view.units
    norm, level = view.choices.norm, view.choices.level
    title = view.title + (" (carte schématique)" if schematic else "")
    colours = class_colours(classes.count)
    bound_labels = classes.labels(lambda v: units.bound(v, norm))
    word = "commune" if level == "commune" else "EPT"
    fig = go.Figure()
    rows = list(table.itertuples(index=False))
    fills = {MASKED: ("white", MASKED_PATTERN), -1: (NO_DATA_COLOUR, NO_DATA_PATTERN)}
    fills.update({klass: (colour, None) for klass, colour in enumerate(colours)})
    drawn: set[int] = set()
    for row, klass in zip(rows, classes.index, strict=True):
        shape = shapes.get(row.code)
        if shape is None:
            continue
        xs, ys = _rings(shape)
        colour, pattern = fills[klass]
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            fill="toself",
            fillcolor=colour,
            fillpattern=pattern,
            line={"color": "white", "width": 1},
            hoveron="fills",
            hoverinfo="text",
            text=_hover(row, view),
            legendgroup=f"class{klass}",
            showlegend=False,
            meta=row.code,  # exports rebuild the shape to place the names (labels.fit_map)
        )
        drawn.add(klass)
    # The legend: square swatches (legend-only bars, which show a fill pattern), every
    # class even when empty, then the masked territories and those without data if drawn.
    entries = {
        klass: f"{label} ({fmt.plural(count, word, _plural(word))})"
        for klass, (label, count) in enumerate(zip(bound_labels, classes.counts, strict=True))
    }
    entries[MASKED] = (
        f"{fmt.chart_text(view.mask_label)} ({MASKED_NOTE}, "
        f"{fmt.plural(classes.masked, word, _plural(word))})"
    )
    entries[-1] = f"{NO_DATA} ({fmt.plural(classes.missing, word, _plural(word))})"
    for klass in [*range(classes.count), MASKED, -1]:
        if klass < 0 and klass not in drawn:
            continue
        colour, pattern = fills[klass]
        fig.add_bar(
            x=[None],
            y=[None],
            name=entries[klass],
            marker={"color": colour, "pattern": pattern, "line": {"color": "#999", "width": 1}},
            legendgroup=f"class{klass}",
            legendrank=100 + (klass if klass >= 0 else MAX_CLASSES - klass),
            hoverinfo="skip",
        )
    for code, outline in outlines.items():
        xs, ys = _rings(outline)
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": OUTLINE_COLOUR, "width": 2.5},
            hoverinfo="skip",
            showlegend=False,
            name=f"EPT {code}",
        )
    _add_click_targets(fig, view, shapes)
    dark = {
        row.code
        for row, klass in zip(rows, classes.index, strict=True)
        if klass >= 0 and klass >= classes.count / 2
    }
    _add_markers(fig, view, shapes, labels or {}, dark)
    if places is not None and not schematic:
        map_places.add_places(fig, places, today or date.today())
    base_layout(fig, title, height=height)
    screen: dict[str, float] = {}
    if names and not schematic:
        extent = map_labels.spans(shapes)
        scale = map_labels.screen_px_per_degree(extent["y_span"], height)
        placed = map_labels.place_labels(shapes, names, px_per_degree=scale)
        fig.update_layout(annotations=map_labels.annotations(placed, dark, visible=show_names))
        # For webapp/page.js: a map drawn narrower than that scale hides its names.
        screen = {"names_scale": scale, **extent}
    if not schematic:
        # For exports (exports.press_figure): the attribution for the footer, and the names
        # to place again at the image's scale (labels.fit_map).
        export_meta = {"names": dict(names or {}), "dark": sorted(dark)} | screen
        fig.update_layout(meta={"attribution": CONTOURS_ATTRIBUTION, "map": export_meta})
    fig.update_layout(
        # Below the map, in rows that wrap to the width: beside it, on a phone (390 px), the
        # legend took the whole width and left the map none.
        legend={
            "orientation": "h",
            "x": 0.0,
            "xanchor": "left",
            "y": -0.01,
            "yanchor": "top",
            "title": {"text": legend_title(view), "side": "top"},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        hovermode="closest",
        dragmode=False,
        clickmode="event+select",
    )
    fig.update_xaxes(visible=False, fixedrange=True)
    fig.update_yaxes(visible=False, fixedrange=True, scaleanchor="x", scaleratio=1)
    return fig


def _plural(word: str) -> str:
    return "EPT" if word == "EPT" else word + "s"


def legend_title(view: MapView) -> str:
    """The legend's title: the unit, and for a need-side indicator its scale and which end is
    fragile (« Score de 0 à 10<br>plus haut = plus fragile »)."""
    need, norm, units = view.choices.need, view.choices.norm, view.units
    if view.choices.indicator == "besoin" and need is not None:
        if units.kind == "score" and need.scale:
            head = f"Score de {fmt.number(need.scale[0])} à {fmt.number(need.scale[1])}"
        elif units.kind == "percent":
            head = "En %"
        else:
            head = _unit_title(norm, units)
        return head + (f"<br>{need.direction_text}" if need.direction_text else "")
    return _unit_title(norm, units)


def with_names(fig: go.Figure) -> go.Figure:
    """A copy of the map with its territory names shown (exported images always have them)."""
    out = go.Figure(fig)
    out.update_annotations(visible=True, selector={"name": map_labels.LABEL_NAME})
    return out


def _unit_title(norm: str, units: Units) -> str:
    if norm == "dix_mille":
        return f"{units.noun} pour 10 000 hab."
    if norm == "objectif":
        return "% de la part de l'objectif"
    if norm == "habitants":
        return f"{units.noun} pour 1 000 hab."
    return units.noun if units.noun != "€" else "euros"


def _hover(row, view: MapView) -> str:
    units, norm = view.units, view.choices.norm
    lines = [f"<b>{row.name}</b>"]
    if getattr(row, "ept_name", None) and row.ept_name != row.name:
        lines.append(f"EPT {row.ept_name}")
    if row.masked:
        lines.append(f"{fmt.chart_text(row.mask_text)} {units.noun} ({MASKED_NOTE})")
    elif pd.isna(row.value):
        lines.append(NO_DATA.capitalize())
    else:
        lines.append(units.raw(row.value))
        if norm != "brut":
            lines.append(units.shown(row.shown, norm))
    share = getattr(row, "target_share", np.nan)
    if norm == "objectif" and not pd.isna(share) and (row.masked or not pd.isna(row.value)):
        lines.append(f"Part de l'objectif : {fmt.number(share)} {units.noun}")
    lines.append(f"Population 2023 : {fmt.number(row.population)} hab.")
    return "<br>".join(lines)


# Plotly selects points, never a filled shape: each territory is filled with invisible
# points, CLICK_GRID steps across the map's longer side (about 15 px on screen), so that a
# click anywhere on it lands within Plotly's hover distance (20 px) of one of them.
CLICK_GRID = 50


def click_targets(
    shapes: dict[str, shapely.Geometry], steps: int = CLICK_GRID
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Code → (x, y) of the points of one lattice that fall inside its shape, plus a point
    on its surface, so that even a territory smaller than a step has one."""
    if not shapes:
        return {}
    bounds = np.array([shape.bounds for shape in shapes.values()])
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    step = max(maxx - minx, maxy - miny) / steps
    grid_x, grid_y = np.meshgrid(
        np.arange(minx + step / 2, maxx, step), np.arange(miny + step / 2, maxy, step)
    )
    grid_x, grid_y = grid_x.ravel(), grid_y.ravel()
    targets = {}
    for code, shape in shapes.items():
        inside = shapely.contains_xy(shape, grid_x, grid_y)
        anchor = shape.point_on_surface()
        targets[code] = (
            np.round(np.append(grid_x[inside], anchor.x), 6),
            np.round(np.append(grid_y[inside], anchor.y), 6),
        )
    return targets


def _add_click_targets(fig: go.Figure, view: MapView, shapes: dict[str, shapely.Geometry]) -> None:
    targets = click_targets(shapes)
    for row in view.table.itertuples(index=False):
        if row.code not in targets:
            continue
        xs, ys = targets[row.code]
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker={"size": 6, "color": "rgba(0,0,0,0)"},
            customdata=[[row.code]] * len(xs),
            hovertext=_hover(row, view),
            hoverinfo="text",
            showlegend=False,
            name=f"zone {row.code}",
            selected={"marker": {"opacity": 0}},
            unselected={"marker": {"opacity": 0}},
        )


def _add_markers(
    fig: go.Figure,
    view: MapView,
    shapes: dict[str, shapely.Geometry],
    labels: Mapping[str, str],
    dark: set[str],
) -> None:
    """One point per territory, with its label on the schematic map (invisible on the
    official contours). DARK: codes drawn in a dark colour, whose label is written in
    white."""
    rows = [row for row in view.table.itertuples(index=False) if row.code in shapes]
    points = [shapes[row.code].point_on_surface() for row in rows]
    fig.add_scatter(
        x=[p.x for p in points],
        y=[p.y for p in points],
        mode="markers+text" if labels else "markers",
        text=[labels.get(row.code, "") for row in rows] if labels else None,
        textfont={
            "family": FONT,
            "size": 11,
            "color": ["white" if row.code in dark else "#111" for row in rows],
        },
        marker={"size": 22 if labels else 9, "color": "rgba(255,255,255,0.01)"},
        customdata=[[row.code] for row in rows],
        hovertext=[_hover(row, view) for row in rows],
        hovertemplate="%{hovertext}<extra></extra>",
        showlegend=False,
        name="territoires",
        selected={"marker": {"opacity": 1}},
        unselected={"marker": {"opacity": 1}},
    )


def selected_code(event) -> str | None:
    """The territory code of a click on the map (st.plotly_chart's selection)."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points:
        data = point.get("customdata")
        if data:
            return data[0] if isinstance(data, list) else data
    return None
