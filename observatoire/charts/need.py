"""Figures of need (issue #13): the « Aide et besoins » scatter (help per 1 000 inhabitants
against a need indicator, one colour per EPT, names written, the two medians dashed) and
the territory sheet's IFN sub-scores on a 0–10 axis with the EPT and département markers."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from observatoire import fmt, textsize
from observatoire.charts import PALETTE, base_layout
from observatoire.need import NeedView, help_axis

MEDIAN_LINE = {"dash": "dash", "color": "#555555", "width": 1.5}
EPT_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon")


def ept_colours(ept_names: list[str]) -> dict[str, str]:
    """One Okabe–Ito colour per EPT, in alphabetical order (stable from page to page)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(ept_names)))}


# Label placement, in px of the plot area. On screen the names are placed once for the
# plot sizes a laptop shows (800 px wide, Chromium at 1 400 and 1 440 px with the sidebar,
# 1 440 px without it; 510 px high): a name placed clear at each stays clear between them.
# An exported image places them again at its own plot size (place_names_for_plot).
PLOT_WIDTH, PLOT_HEIGHT = 800, 510
SCREEN_PLOTS = ((PLOT_WIDTH, PLOT_HEIGHT), (850, 510), (890, 510), (1150, 510))
LABEL_FONT = 11
MEDIAN_FONT = 11
CHOSEN_COLOUR = "#000000"
OUTLIER_SYMBOL = "arrow-bar-up"  # a help rate set apart at the top edge (need.help_axis)


def need_scatter(view: NeedView, title: str) -> go.Figure:
    """Each placed territory at (need, help per 1 000 inhabitants), coloured (and shaped) by
    EPT; the priority territories and the chosen ones named (placed so that no two names
    overlap), the others on hover; the chosen ones ringed in black among the others, the
    territories outside the scope of comparison in grey; the two medians as labelled dashed
    lines; the priority quadrant shaded. A help rate that would flatten the others is set
    apart at the top edge (need.help_axis), and the chart says so. Territories not placed
    (masked help, no data) are not drawn."""
    placed = view.placed
    fig = go.Figure()
    colours = ept_colours(list(view.table["ept_name"]) + _context_epts(view))
    need_fmt = f".{view.need_decimals}f"
    top, outliers = help_axis(view)
    drawn_y = placed["help_rate"] if top is None else placed["help_rate"].clip(upper=top)
    faded = bool(view.chosen)
    if view.context is not None and not view.context.empty:
        context = view.context
        fig.add_scatter(
            x=context["need"],
            y=context["help_rate"] if top is None else context["help_rate"].clip(upper=top),
            mode="markers",
            name="Autres territoires",
            hovertext=context["name"],
            marker={"color": "#BBBBBB", "size": 8},
            hovertemplate="%{hovertext}<extra>hors du territoire choisi</extra>",
        )
    for i, (ept, rows) in enumerate(placed.groupby("ept_name", sort=True)):
        symbols = [
            OUTLIER_SYMBOL if code in set(outliers["code"]) else EPT_SYMBOLS[i % len(EPT_SYMBOLS)]
            for code in rows["code"]
        ]
        fig.add_scatter(
            x=rows["need"],
            y=drawn_y[rows.index],
            mode="markers",
            name=ept if view.level == "commune" else "EPT",
            text=rows["name"],  # on hover; the chosen and priority ones are written
            marker={
                "color": colours[ept],
                "size": 11,
                "symbol": symbols,
                "opacity": [1.0 if not faded or c in view.chosen else 0.45 for c in rows["code"]],
                "line": {"color": "white", "width": 1},
            },
            customdata=rows[["population", "help_rate"]],
            hovertemplate=(
                f"<b>%{{text}}</b><br>{view.need_label} : %{{x:{need_fmt}}}<br>"
                f"{view.help_label} : %{{customdata[1]:,.1f}}<br>%{{customdata[0]:,.0f}} "
                "habitants<extra></extra>"
            ),
            showlegend=view.level == "commune",
        )
    chosen = placed[placed["code"].isin(view.chosen)]
    if not chosen.empty:
        fig.add_scatter(
            x=chosen["need"],
            y=drawn_y[chosen.index],
            mode="markers",
            name="Territoire choisi" if len(chosen) == 1 else "Territoires choisis",
            hoverinfo="skip",
            marker={
                "color": CHOSEN_COLOUR,  # an open symbol draws its outline in this colour
                "size": 22,
                "symbol": "circle-open",
                "line": {"width": 3},
            },
        )
    x_range = _x_range(view)
    y_range = [0, (top if top is not None else float(placed["help_rate"].max() or 1)) * 1.08]
    medians = not placed.empty and not math.isnan(view.need_median)
    if medians:
        _medians_and_quadrant(fig, view)
    fig.update_layout(
        meta={NAMES_META: _names_meta(view, drawn_y, x_range, y_range, outliers, medians)}
    )
    place_names_for_plot(fig, SCREEN_PLOTS)
    # A cut scale is said in the axis's own title: a note above the plot would meet the
    # legend that exported images set there.
    help_title = view.help_label
    if top is not None:
        help_title += f"<br>(échelle coupée à {fmt.number(top, 1)} ↑)"
    fig.update_xaxes(
        title=view.need_label + _direction_hint(view.direction),
        tickformat=need_fmt,
        range=x_range,
    )
    fig.update_yaxes(title=help_title, tickformat=",.0f", range=y_range, automargin=True)
    fig.update_xaxes(automargin=True)
    fig = base_layout(fig, title, height=680)
    fig.update_layout(
        legend={"yref": "container", "y": 0, "yanchor": "bottom", "title": {"text": "EPT "}},
        margin={"l": 70, "r": 20, "t": 90, "b": 60},
    )
    return fig


def _context_epts(view: NeedView) -> list[str]:
    return [] if view.context is None else list(view.context["ept_name"])


def _x_range(view: NeedView) -> list[float]:
    values = pd.concat(
        [view.placed["need"], view.context["need"] if view.context is not None else None]
    ).dropna()
    if values.empty:
        return [0.0, 1.0]
    span = float(values.max() - values.min()) or 1.0
    return [float(values.min()) - span * 0.06, float(values.max()) + span * 0.06]


def label_size(text: str, bold: bool = False, size: float = LABEL_FONT) -> tuple[float, float]:
    """(width, height) in px of a label's box: its text measured in DejaVu Sans (the
    exports' font, wider than the screen's Arial), with the annotation's padding."""
    return textsize.text_width(text, size, bold) + 8, size * textsize.LINE + 5


# Where a name may go around its point (dx, dy in px, y downwards), nearest first; the far
# ones get a leader line.
_OFFSETS = [
    (0, -16), (0, 16), (1, 0), (-1, 0), (1, -14), (-1, -14), (1, 14), (-1, 14),
    (0.6, -16), (-0.6, -16), (0.6, 16), (-0.6, 16), (1.6, 0), (-1.6, 0),
    (1.6, -24), (-1.6, -24), (1.6, 24), (-1.6, 24),
    (0, -34), (0, 34), (1, -30), (-1, -30), (1, 30), (-1, 30), (0, -52), (0, 52),
    (1, -48), (-1, -48), (1, 48), (-1, 48), (0, -70), (0, 70), (1, -66), (-1, -66),
    (1, 66), (-1, 66), (0, -88), (0, 88), (1, -84), (-1, -84), (1, 84), (-1, 84),
    (0, -106), (0, 106),
]  # fmt: skip
# Weights of what a name may cover, per px² of overlap: another name or a label of the
# chart (the medians', the quadrant's) never; a median line rather not; a marker if it must
# (it shows on hover).
NAME_OVER_NAME = 1000
NAME_OVER_LINE = 3
GAP = 1.5  # px kept between two labels: touching reads as one
NAMES_META = "need_names"  # layout.meta key: what place_names_for_plot needs


def place_names(
    points: list[tuple[str, float, float]],
    others: list[tuple[float, float]],
    *,
    plot: tuple[float, float] = (PLOT_WIDTH, PLOT_HEIGHT),
    obstacles: list[tuple[float, float, float, float]] = (),
    lines: list[tuple[float, float, float, float]] = (),
    bold: list[bool] | None = None,
) -> list[tuple[str, float, float, float, float]]:
    """(name, px, py, dx, dy) for each (name, px, py) of POINTS (pixels of a PLOT (width,
    height), y downwards), in order: the first offset of _OFFSETS whose box overlaps no
    name already placed, no OBSTACLES box (the chart's own labels), no LINES box (the
    medians) and no marker (OTHERS and POINTS), inside the plot; the least crowded one
    else."""
    places = place_names_at([(points, others, plot, obstacles, lines)], bold)
    return [(name, px, py, dx, dy) for (name, px, py), (dx, dy) in zip(points, places, strict=True)]


def place_names_at(layouts, bold: list[bool] | None = None) -> list[tuple[float, float]]:
    """One (dx, dy) per name, chosen at once for several plot sizes: LAYOUTS holds, for each,
    (points, others, plot, obstacles, lines) as place_names takes them (the same names, in
    the same order); an offset's cost is the sum of its costs at every size. Each name in
    turn takes the first offset that costs nothing, else the cheapest; then each is placed
    again among all the others (REFINE passes), which undoes an early name taking the room
    a later one needed."""
    count = len(layouts[0][0])
    bold = bold or [False] * count
    sizes = [label_size(layouts[0][0][i][0], bold[i]) for i in range(count)]
    chosen: list[int | None] = [None] * count

    def offset(i: int, k: int) -> tuple[float, float]:
        ox, oy = _OFFSETS[k]
        return ox * (sizes[i][0] / 2 + 9), oy

    def shapes(i: int, k: int, layout):
        """Box and leader line (None when none is drawn) of name I at offset K."""
        dx, dy = offset(i, k)
        (w, h), (_, px, py) = sizes[i], layout[0][i]
        box = (px + dx - w / 2, py + dy - h / 2, px + dx + w / 2, py + dy + h / 2)
        return box, ((px, py, px + dx, py + dy) if _has_leader(dx, dy, w) else None)

    def cost(i: int, k: int) -> float:
        total = 0.0
        for layout in layouts:
            points, others, (width, height), obstacles, lines = layout
            box, leader = shapes(i, k, layout)
            _, px, py = points[i]
            placed = [
                shapes(j, chosen[j], layout)
                for j in range(count)
                if j != i and chosen[j] is not None
            ]
            total += _cost(box, leader, (px, py), placed, layout, i)
            outside = box[0] < 0 or box[2] > width or box[1] < 0 or box[3] > height
            total += 1e6 if outside else 0
        return total

    def best(i: int) -> int:
        found, found_cost = 0, None
        for k in range(len(_OFFSETS)):
            c = cost(i, k)
            if found_cost is None or c < found_cost:
                found, found_cost = k, c
            if c == 0:
                break
        return found

    for _ in range(1 + REFINE):
        for i in range(count):
            chosen[i] = best(i)
    return [offset(i, k) for i, k in enumerate(chosen)]


REFINE = 2


def _cost(box, leader, point, placed, layout, i: int) -> float:
    """What a name's BOX and LEADER cover at one plot size, PLACED holding the other names'
    (box, leader)."""
    points, others, _, obstacles, lines = layout
    boxes = [b for b, _ in placed]
    drawn = [s for _, s in placed if s is not None]
    wide = (box[0] - GAP, box[1] - GAP, box[2] + GAP, box[3] + GAP)
    # Covering a marker is tolerable (it shows on hover), a named one less so; a name or a
    # label never.
    cost = NAME_OVER_NAME * sum(_overlap(wide, b) for b in [*boxes, *obstacles])
    cost += NAME_OVER_LINE * sum(_overlap(box, b) for b in lines)
    named = [_marker(mx, my) for j, (_, mx, my) in enumerate(points) if j != i]
    cost += NAMED_MARKER * sum(_overlap(box, m) for m in named)
    cost += sum(_overlap(box, _marker(mx, my)) for mx, my in others)
    # A name across a median from its point reads on the wrong side of it; a leader line
    # across another leader, another name or a named point reads as a wrong pair.
    cost += WRONG_SIDE * sum(_crosses((*point, *_centre(box)), line) for line in lines)
    cost += CROSSING * sum(_crosses(s, box) for s in drawn)
    if leader is not None:
        cost += CROSSING * sum(_crosses(leader, b) for b in boxes)
        cost += CROSSING * sum(_segments_cross(leader, s) for s in drawn)
        cost += CROSSING * sum(_crosses(leader, m) for m in named)
        cost += LEADER * max(0.0, math.hypot(leader[2] - leader[0], leader[3] - leader[1]) - 20)
    return cost


def _centre(box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


NAMED_MARKER = 20  # weight of a name over another named point's marker, per px²
LEADER = 15  # cost of a leader line, per px of its length
CROSSING = 5000  # cost of a leader line across another leader, a name, a named point
WRONG_SIDE = 20_000  # cost of a name written across a median from its point: a misreading


def _has_leader(dx: float, dy: float, width: float) -> bool:
    """Whether a name of WIDTH px this far from its point gets a leader line: all but the
    four nearest places (above, below, just beside)."""
    return abs(dy) > 20 or (abs(dx) > 0 and abs(dy) > 0) or abs(dx) > width / 2 + 10


def _marker(x: float, y: float) -> tuple[float, float, float, float]:
    return x - 6, y - 6, x + 6, y + 6


def _crosses(segment, box) -> bool:
    """Whether SEGMENT (x0, y0, x1, y1) passes through BOX (Liang–Barsky clipping)."""
    if segment is None:
        return False
    x0, y0, x1, y1 = segment
    t0, t1 = 0.0, 1.0
    for p, q in (
        (x0 - x1, x0 - box[0]),
        (x1 - x0, box[2] - x0),
        (y0 - y1, y0 - box[1]),
        (y1 - y0, box[3] - y0),
    ):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
    return t0 < t1


def _segments_cross(a, b) -> bool:
    def turn(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    p1, p2, p3, p4 = a[:2], a[2:], b[:2], b[2:]
    d1, d2 = turn(p3, p4, p1), turn(p3, p4, p2)
    d3, d4 = turn(p1, p2, p3), turn(p1, p2, p4)
    return d1 * d2 < 0 and d3 * d4 < 0


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _names_meta(view: NeedView, drawn_y, x_range, y_range, outliers, medians: bool) -> dict:
    """What placing the names needs, in the data's units (kept in layout.meta, so that an
    exported image places them again at its size): the names to write (the chosen
    territories, then the priority ones, then the set-apart ones with their value), every
    marker, the axes' ranges, the medians and the texts of their labels."""
    placed = view.placed
    named = placed[
        placed["code"].isin(view.chosen)
        | placed["priority"]
        | placed["code"].isin(outliers["code"])
    ]
    order = named.assign(_rank=[0 if c in view.chosen else 1 for c in named["code"]]).sort_values(
        ["_rank", "need"]
    )
    names = []
    for row in order.itertuples():
        text = row.name
        if row.code in set(outliers["code"]):
            text = f"{row.name} : {fmt.number(row.help_rate, 1)} ↑"
        names.append([text, float(row.need), float(drawn_y[row.Index]), row.code in view.chosen])
    meta = {
        "names": names,
        "markers": [[float(x), float(y)] for x, y in zip(placed["need"], drawn_y, strict=True)],
        "x_range": list(x_range),
        "y_range": list(y_range),
    }
    if medians:
        meta["medians"] = {
            "need": float(view.need_median),
            "help": float(view.help_median),
            "need_text": _need_median_text(view),
            "help_text": _help_median_text(view),
            "quadrant_x": _quadrant_x(view),
            "quadrant_left": bool(view.high_need_below),
        }
    return meta


def place_names_for_plot(fig: go.Figure, plots) -> None:
    """Write the names of the « Aide et besoins » scatter FIG (its layout.meta[NAMES_META])
    as annotations named « nom », placed so that none overlaps another, nor a label of the
    medians or of the quadrant, at every plot size (width, height) of PLOTS (px)."""
    meta = fig.layout.meta.get(NAMES_META) if isinstance(fig.layout.meta, dict) else None
    if not meta:
        return
    fig.layout.annotations = [a for a in fig.layout.annotations if a.name != "nom"]
    names = meta["names"]
    if not names:
        return
    layouts = [_layout_at(meta, width, height) for width, height in plots]
    places = place_names_at(layouts, [bold for *_, bold in names])
    for (text, x, y, bold), (dx, dy) in zip(names, places, strict=True):
        far = _has_leader(dx, dy, label_size(text, bold)[0])
        fig.add_annotation(
            x=x,
            y=y,
            text=fmt.chart_text(f"<b>{text}</b>" if bold else text),
            ax=dx,
            ay=dy,
            showarrow=True,
            arrowhead=0,
            arrowwidth=0.8 if far else 0.1,
            arrowcolor="#777777" if far else "rgba(0,0,0,0)",
            standoff=4,
            font={"size": LABEL_FONT, "color": "#222222"},
            bgcolor="rgba(255,255,255,0.75)",
            name="nom",
        )


def _layout_at(meta: dict, width: float, height: float):
    """(points, others, plot, obstacles, lines) of the names in META at a plot of WIDTH ×
    HEIGHT px: the medians' labels and the quadrant's as obstacles, the median lines."""
    (x0, x1), (y0, y1) = meta["x_range"], meta["y_range"]

    def pixel(x, y):
        return (x - x0) / (x1 - x0) * width, (1 - (y - y0) / (y1 - y0)) * height

    points = [(text, *pixel(x, y)) for text, x, y, _ in meta["names"]]
    others = [pixel(x, y) for x, y in meta["markers"]]
    obstacles, lines = [], []
    if medians := meta.get("medians"):
        nx, hy = pixel(medians["need"], medians["help"])
        w, h = label_size(medians["need_text"], size=MEDIAN_FONT)
        obstacles.append((nx - w / 2, -h, nx + w / 2, 0))  # above the plot
        w, h = label_size(medians["help_text"], size=MEDIAN_FONT)
        obstacles.append((width - w, hy - h, width, hy))  # at the right edge, on its line
        qx, _ = pixel(medians["quadrant_x"], 0)
        w, h = label_size(QUADRANT_TEXT, size=MEDIAN_FONT)
        left = qx if medians["quadrant_left"] else qx - w
        obstacles.append((left, height - h, left + w, height))
        lines = [(nx - 1, 0, nx + 1, height), (0, hy - 1, width, hy + 1)]
    return points, others, (width, height), obstacles, lines


def _direction_hint(direction: str) -> str:
    if direction == "fragile_haut":
        return " (plus haut = plus fragile)"
    if direction == "fragile_bas":
        return " (plus bas = plus fragile)"
    return ""


def _medians_and_quadrant(fig: go.Figure, view: NeedView) -> None:
    nm, hm = view.need_median, view.help_median
    fig.add_vline(x=nm, line=MEDIAN_LINE)
    fig.add_hline(y=hm, line=MEDIAN_LINE)
    fig.add_annotation(
        x=nm,
        y=1,
        yref="paper",
        yanchor="bottom",
        text=_need_median_text(view),
        showarrow=False,
        font={"size": MEDIAN_FONT, "color": "#333333"},
        bgcolor="rgba(255,255,255,0.85)",
    )
    fig.add_annotation(
        x=1,
        xref="paper",
        xanchor="right",
        y=hm,
        yanchor="bottom",
        text=_help_median_text(view),
        showarrow=False,
        font={"size": MEDIAN_FONT, "color": "#333333"},
        bgcolor="rgba(255,255,255,0.85)",
    )
    # The priority quadrant: need beyond its median, help below its median.
    x0, x1 = (_x_min(view), nm) if view.high_need_below else (nm, _x_max(view))
    fig.add_shape(
        type="rect",
        xref="x",
        x0=x0,
        x1=x1,
        yref="y",
        y0=0,
        y1=hm,
        fillcolor="rgba(213,94,0,0.08)",
        line={"width": 0},
        layer="below",
    )
    fig.add_annotation(
        x=_quadrant_x(view),
        xanchor="right" if not view.high_need_below else "left",
        y=0,
        yanchor="bottom",
        text=QUADRANT_TEXT,
        showarrow=False,
        font={"size": MEDIAN_FONT, "color": "#A03F00"},
    )


QUADRANT_TEXT = "Besoin élevé, aide faible"


def _need_median_text(view: NeedView) -> str:
    return f"Médiane du besoin : {fmt.number(view.need_median, view.need_decimals)}"


def _help_median_text(view: NeedView) -> str:
    return f"Médiane de l'aide : {fmt.number(view.help_median, 1)}"


def _quadrant_x(view: NeedView) -> float:
    return _x_max(view) if not view.high_need_below else _x_min(view)


def _x_max(view: NeedView) -> float:
    values = view.placed["need"]
    span = float(values.max() - values.min()) or 1.0
    return float(values.max()) + span * 0.05


def _x_min(view: NeedView) -> float:
    values = view.placed["need"]
    span = float(values.max() - values.min()) or 1.0
    return float(values.min()) - span * 0.05


# The territory sheet's IFN sub-scores --------------------------------------------------------

SUBSCORE_MIN, SUBSCORE_MAX = 0, 10


def subscore_bars(frame: pd.DataFrame, title: str, territory: str) -> go.Figure:
    """FRAME: one row per sub-score (label, value, ept, departement; ept NaN on an EPT's
    sheet): the territory's bar on a 0–10 axis, the EPT and the département as markers."""
    data = frame.iloc[::-1]  # the first row at the top
    fig = go.Figure()
    fig.add_bar(
        x=data["value"],
        y=data["label"],
        orientation="h",
        name=territory,
        marker_color=PALETTE[0],
        text=[fmt.number(v, 1) for v in data["value"]],
        textposition="inside",
        insidetextanchor="start",  # the EPT and département markers sit near the bar's end
        textfont={"color": "white"},
        hovertemplate=f"{territory} – %{{y}} : %{{x:.1f}} / 10<extra></extra>",
    )
    if "ept" in data and data["ept"].notna().any():
        fig.add_scatter(
            x=data["ept"],
            y=data["label"],
            mode="markers",
            name="EPT",
            marker={"symbol": "diamond", "size": 13, "color": PALETTE[1], "line": {"width": 1}},
            hovertemplate="EPT – %{y} : %{x:.1f} / 10<extra></extra>",
        )
    fig.add_scatter(
        x=data["departement"],
        y=data["label"],
        mode="markers",
        name="Seine-Saint-Denis",
        marker={"symbol": "line-ns", "size": 22, "color": "#000000", "line": {"width": 3}},
        hovertemplate="Seine-Saint-Denis – %{y} : %{x:.1f} / 10<extra></extra>",
    )
    fig.update_xaxes(
        range=[SUBSCORE_MIN, SUBSCORE_MAX],
        dtick=1,
        title="Score de 0 (moins fragile) à 10 (plus fragile)",
    )
    fig.update_yaxes(title=None, automargin=True)
    # Tall enough for a phone, where each label goes above its bar (webapp/page.js).
    fig = base_layout(fig, title, height=max(300, 200 + 48 * len(data)))
    fig.update_layout(legend={"y": -0.25})
    return fig


def subscores_reading(frame: pd.DataFrame, territory: str) -> str:
    """« Sous-score le plus fragile : pauvreté (10,0 sur 10 ; département 8,7). »"""
    if frame.empty:
        return "Aucun sous-score de l'indice de fragilité numérique."
    top = frame.sort_values("value", ascending=False).iloc[0]
    above = int((frame["value"] > frame["departement"]).sum())
    return (
        f"{territory} : sous-score le plus fragile, {top['label']} "
        f"({fmt.number(top['value'], 1)} sur 10 ; Seine-Saint-Denis "
        f"{fmt.number(top['departement'], 1)}) ; {fmt.number(above)} sous-score"
        f"{'s' if above > 1 else ''} sur {len(frame)} au-dessus du département."
    )
