"""Territory names written on the map: inside each territory, at its pole of inaccessibility
(shapely's polylabel: the inside point farthest from the edges), or beside it with a leader
line when the name does not fit (Le Pré-Saint-Gervais, Les Lilas…).

Whether a name fits is computed from the shape and the label's size on paper: the map is
assumed drawn at PX_PER_DEGREE pixels per degree of latitude, the smallest scale of the
screen and of the export sizes (press 1 200 × 800, square 1 080, 16:9 1 920 × 1 080, A4),
so a name that fits there fits at every size. Labels are Plotly annotations (one SVG text
each, with a halo), named LABEL_NAME.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import shapely
from shapely.ops import polylabel

LABEL_NAME = "nom de territoire"
FONT_SIZE = 10
SMALL_FONT_SIZE = 8  # a name that does not fit at FONT_SIZE is tried at this size
# The map fills about 550 px of height in the press preset (800 px less title and source),
# and the 93 spans ~0.155° of latitude: ~3 400 px per degree is the smallest scale in use.
PX_PER_DEGREE = 3400.0
CHAR_WIDTH = 0.58  # average width of a DejaVu Sans character, in font sizes
LINE_HEIGHT = 1.25
LEADER_PX = 42  # length of a leader line, in pixels
WRAP_AT = 13  # names longer than this are written on two lines
# On screen the figure's height is fixed and the map fills it less the title (60 px), the
# legend below (up to 3 rows, ~120 px on a narrow laptop) and Plotly's ~10 % autorange
# padding: names are placed at that smaller scale (measured: ~2 000 px per degree at 640 px
# high), else neighbours' names ran into each other (« VillemombleGagny »).
SCREEN_CHROME_PX = 190
SCREEN_FILL = 0.9


@dataclass(frozen=True)
class Label:
    code: str
    text: str  # lines separated by <br>
    x: float  # the anchor: inside the territory
    y: float
    inside: bool  # False: written beside, with a leader line
    size: int = FONT_SIZE
    ax: float = 0.0  # pixel offset of the text from the anchor (leader line)
    ay: float = 0.0


def wrapped(name: str) -> list[str]:
    """A long name cut once, at the hyphen or space nearest its middle: « Le Pré- »,
    « Saint-Gervais »."""
    if len(name) <= WRAP_AT:
        return [name]
    cuts = [i for i, ch in enumerate(name) if ch in "- "]
    if not cuts:
        return [name]
    middle = len(name) / 2
    cut = min(cuts, key=lambda i: abs(i - middle))
    head = name[: cut + 1] if name[cut] == "-" else name[:cut]
    return [head, name[cut + 1 :]]


def label_size(
    lines: list[str], px_per_degree: float = PX_PER_DEGREE, size: int = FONT_SIZE
) -> tuple[float, float]:
    """Width and height of a label in map units (scaled degrees)."""
    width_px = CHAR_WIDTH * size * max(len(line) for line in lines)
    height_px = LINE_HEIGHT * size * len(lines)
    return width_px / px_per_degree, height_px / px_per_degree


def _main_part(shape: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(shape) if shapely.get_type_id(p) == 3]
    return max(parts, key=lambda p: p.area) if parts else shape


def _box(x: float, y: float, width: float, height: float) -> shapely.Geometry:
    return shapely.box(x - width / 2, y - height / 2, x + width / 2, y + height / 2)


def screen_px_per_degree(y_span: float, figure_height: int) -> float:
    """The scale at which a map of FIGURE_HEIGHT pixels, Y_SPAN high in map units (spans), is
    drawn on screen (height-bound from a narrow laptop up: the territory is taller than wide
    once projected)."""
    return SCREEN_FILL * (figure_height - SCREEN_CHROME_PX) / y_span


def spans(shapes: Mapping[str, shapely.Geometry]) -> dict[str, float]:
    """The width and height of the SHAPES together, in map units (for webapp/page.js)."""
    minx, miny, maxx, maxy = shapely.union_all(list(shapes.values())).bounds
    return {"x_span": maxx - minx, "y_span": maxy - miny}


# Directions tried for a name written beside its territory (unit vectors, y up).
_DIRECTIONS = [(math.cos(a), math.sin(a)) for a in [i * math.pi / 8 for i in range(16)]]


def place_labels(
    shapes: Mapping[str, shapely.Geometry],
    names: Mapping[str, str],
    px_per_degree: float = PX_PER_DEGREE,
) -> list[Label]:
    """One label per shape with a name: inside when at least 90 % of its box lies in the
    shape; else beside it, at the end of a leader line, in the direction (of 16) where it
    covers the fewest other names and the least of the other territories."""
    if not shapes:
        return []
    union = shapely.union_all(list(shapes.values()))
    centre = union.centroid
    inside_labels: list[Label] = []
    outside: list[tuple[str, list[str], shapely.Point, shapely.Geometry, float, float]] = []
    boxes: list[shapely.Geometry] = []
    for code, shape in shapes.items():
        if code not in names:
            continue
        part = _main_part(shape)
        lines = wrapped(names[code])
        width, height = label_size(lines, px_per_degree)
        anchor = polylabel(part, tolerance=max(min(width, height) / 10, 1e-5))
        for size in (FONT_SIZE, SMALL_FONT_SIZE):
            w, h = label_size(lines, px_per_degree, size)
            box = _box(anchor.x, anchor.y, w, h)
            clear = not any(box.intersects(other) for other in boxes)
            if clear and box.intersection(part).area >= 0.9 * box.area:
                text = "<br>".join(lines)
                inside_labels.append(Label(code, text, anchor.x, anchor.y, True, size))
                boxes.append(box)
                break
        else:
            outside.append((code, lines, anchor, part, width, height))
    # The names beside their territory, farthest from the middle first (most room there).
    outside.sort(key=lambda o: -o[2].distance(centre))
    reach = LEADER_PX / px_per_degree
    labels = list(inside_labels)
    for code, lines, anchor, part, width, height in outside:
        best, best_cost = None, math.inf
        for (dx, dy), stretch in [(d, s) for s in (1.0, 1.8) for d in _DIRECTIONS]:
            # The text's centre: the leader's end, pushed out by half the label's size.
            cx = anchor.x + dx * (stretch * reach + width / 2 * abs(dx))
            cy = anchor.y + dy * (stretch * reach + height / 2 * abs(dy))
            box = _box(cx, cy, width, height)
            cost = sum(box.intersection(other).area for other in boxes) * 50
            cost += box.intersection(union).area + box.intersection(part).area * 5
            cost += (stretch - 1) * 0.2 * width * height  # a shorter leader when as good
            if cost < best_cost - 1e-15:
                best, best_cost = (cx, cy, box), cost
        cx, cy, box = best
        boxes.append(box)
        ax = (cx - anchor.x) * px_per_degree
        ay = -(cy - anchor.y) * px_per_degree  # pixels: y grows downwards
        labels.append(
            Label(
                code, "<br>".join(lines), anchor.x, anchor.y, False, FONT_SIZE, round(ax), round(ay)
            )
        )
    return labels


def annotations(labels: list[Label], dark: set[str], visible: bool = True) -> list[dict]:
    """Plotly annotations for LABELS: a halo keeps them readable on every class colour;
    names inside a dark territory (DARK) are written in white."""
    out = []
    for label in labels:
        white = label.inside and label.code in dark
        out.append(
            {
                "name": LABEL_NAME,
                "x": label.x,
                "y": label.y,
                "xref": "x",
                "yref": "y",
                "text": label.text,
                "showarrow": not label.inside,
                "ax": label.ax,
                "ay": label.ay,
                "arrowhead": 0,
                "arrowwidth": 1,
                "arrowcolor": "#333",
                "standoff": 0,
                "font": {
                    "size": label.size,
                    "color": "white" if white else "#111",
                    "shadow": "0 0 2px #000, 0 0 2px #000" if white else "auto",
                },
                "borderpad": 0,
                "align": "center",
                "visible": visible,
                "captureevents": False,
            }
        )
    return out


# Exported images -----------------------------------------------------------------------------
# A map figure carries, for its exports, its territories' names and which are drawn dark
# (layout.meta["map"]) and each filled shape's code (trace.meta): the exported image is
# fitted to the room it gets and its names placed again at that scale.


def is_map(fig) -> bool:
    meta = fig.layout.meta
    return isinstance(meta, dict) and isinstance(meta.get("map"), dict)


def territory_codes(fig) -> list[str]:
    """Codes of the territories a map figure draws."""
    return list(dict.fromkeys(t.meta for t in fig.data if isinstance(t.meta, str)))


def _shapes_of(fig) -> dict[str, shapely.Geometry]:
    """Code → shape, rebuilt from the rings of the map's filled traces."""
    rings: dict[str, list] = {}
    for trace in fig.data:
        if trace.type != "scatter" or trace.fill != "toself" or not isinstance(trace.meta, str):
            continue
        ring: list[tuple[float, float]] = []
        for x, y in zip(trace.x, trace.y, strict=True):
            if x is None or y is None:
                if len(ring) >= 4:
                    rings.setdefault(trace.meta, []).append(shapely.Polygon(ring))
                ring = []
            else:
                ring.append((x, y))
        if len(ring) >= 4:
            rings.setdefault(trace.meta, []).append(shapely.Polygon(ring))
    return {code: shapely.make_valid(shapely.union_all(parts)) for code, parts in rings.items()}


def _extent(labels: list[Label], shapes, px_per_degree: float) -> tuple[float, ...]:
    """Bounds of the shapes and of every name's box, in map units."""
    minx, miny, maxx, maxy = shapely.union_all(list(shapes.values())).bounds
    for label in labels:
        lines = label.text.split("<br>")
        width, height = label_size(lines, px_per_degree, label.size)
        cx = label.x + label.ax / px_per_degree
        cy = label.y - label.ay / px_per_degree
        minx, maxx = min(minx, cx - width / 2), max(maxx, cx + width / 2)
        miny, maxy = min(miny, cy - height / 2), max(maxy, cy + height / 2)
    return minx, miny, maxx, maxy


def fit_map(fig, width_px: float, height_px: float) -> None:
    """Fit the map FIG to a plot of WIDTH_PX × HEIGHT_PX pixels (an exported image): the
    largest scale at which the territories and their names fill it, the names placed again
    at that scale (so that none overlaps another), and axis ranges that centre the map."""
    shapes = _shapes_of(fig)
    if not shapes:
        return
    meta = fig.layout.meta["map"]
    names = meta.get("names") or {}
    dark = set(meta.get("dark") or [])
    minx, miny, maxx, maxy = shapely.union_all(list(shapes.values())).bounds
    scale = min(width_px / (maxx - minx), height_px / (maxy - miny))
    labels: list[Label] = []
    for _ in range(3):  # names beside their territory widen the map: shrink, place again
        labels = place_labels(shapes, names, px_per_degree=scale) if names else []
        minx, miny, maxx, maxy = _extent(labels, shapes, scale)
        fitted = 0.98 * min(width_px / (maxx - minx), height_px / (maxy - miny))
        if fitted >= scale * 0.995:
            break
        scale = fitted
    if names:
        others = [a for a in fig.layout.annotations if a.name != LABEL_NAME]
        fig.layout.annotations = others
        for annotation in annotations(labels, dark):
            fig.add_annotation(annotation)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w, half_h = width_px / scale / 2, height_px / scale / 2
    fig.update_xaxes(range=[cx - half_w, cx + half_w], autorange=False)
    fig.update_yaxes(range=[cy - half_h, cy + half_h], autorange=False, constrain="domain")
