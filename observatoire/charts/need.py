"""Figures of need (issue #13): the « Aide et besoins » scatter (help per 1 000 inhabitants
against a need indicator, one colour per EPT, names written, the two medians dashed) and
the territory sheet's IFN sub-scores on a 0–10 axis with the EPT and département markers."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from observatoire import fmt
from observatoire.charts import PALETTE, base_layout
from observatoire.need import NeedView, help_axis

MEDIAN_LINE = {"dash": "dash", "color": "#555555", "width": 1.5}
EPT_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon")


def ept_colours(ept_names: list[str]) -> dict[str, str]:
    """One Okabe–Ito colour per EPT, in alphabetical order (stable from page to page)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(ept_names)))}


# Label placement: the chart's plot area as exported (press preset) and on a laptop, in px.
# Both on the small side: names placed apart there stay apart on a larger chart.
PLOT_WIDTH, PLOT_HEIGHT = 800, 460
LABEL_FONT = 11
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
    _write_names(fig, view, drawn_y, x_range, y_range, outliers)
    if not placed.empty and not math.isnan(view.need_median):
        _medians_and_quadrant(fig, view)
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
        legend={"y": -0.14, "title": {"text": "EPT "}},
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


def label_size(text: str) -> tuple[float, float]:
    """(width, height) in px of a name written at LABEL_FONT (DejaVu Sans: ~0.62 em a
    character)."""
    return 0.62 * LABEL_FONT * len(text) + 6, LABEL_FONT + 5


# Where a name may go around its point (dx, dy in px, y downwards), nearest first; the far
# ones get a leader line.
_OFFSETS = [
    (0, -16), (0, 16), (1, 0), (-1, 0), (1, -14), (-1, -14), (1, 14), (-1, 14),
    (0, -34), (0, 34), (1, -30), (-1, -30), (1, 30), (-1, 30), (0, -52), (0, 52),
    (1, -48), (-1, -48), (1, 48), (-1, 48), (0, -70), (0, 70), (1, -66), (-1, -66),
    (1, 66), (-1, 66), (0, -88), (0, 88),
]  # fmt: skip
NAME_OVER_NAME = 1000  # weight of a name over another name against a name over a marker


def place_names(
    points: list[tuple[str, float, float]], others: list[tuple[float, float]]
) -> list[tuple[str, float, float, float, float]]:
    """(name, px, py, dx, dy) for each (name, px, py) of POINTS (pixels of the plot area, y
    downwards), in order: the first offset of _OFFSETS whose box overlaps no name already
    placed nor any marker (OTHERS and POINTS), inside the plot; the least crowded one else."""
    placed: list[tuple[float, float, float, float]] = []
    markers = [(x, y) for _, x, y in points] + list(others)
    out = []
    for name, px, py in points:
        w, h = label_size(name)
        best, best_cost = None, None
        for ox, oy in _OFFSETS:
            dx = ox * (w / 2 + 9) if ox in (1, -1) else 0
            dy = oy
            box = (px + dx - w / 2, py + dy - h / 2, px + dx + w / 2, py + dy + h / 2)
            # Covering a marker is tolerable (it shows on hover); covering a name is not.
            cost = NAME_OVER_NAME * sum(_overlap(box, b) for b in placed) + sum(
                _overlap(box, (mx - 6, my - 6, mx + 6, my + 6)) for mx, my in markers
            )
            outside = box[0] < 0 or box[2] > PLOT_WIDTH or box[1] < 0 or box[3] > PLOT_HEIGHT
            cost += 1e6 if outside else 0
            if best_cost is None or cost < best_cost:
                best, best_cost = (dx, dy, box), cost
            if cost == 0:
                break
        dx, dy, box = best
        placed.append(box)
        out.append((name, px, py, dx, dy))
    return out


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _write_names(fig, view: NeedView, drawn_y, x_range, y_range, outliers) -> None:
    """Name the chosen territories, then the priority ones, then the set-apart ones (with
    their value), each where it overlaps nothing (place_names), as annotations."""
    placed = view.placed
    named = placed[
        placed["code"].isin(view.chosen)
        | placed["priority"]
        | placed["code"].isin(outliers["code"])
    ]
    order = named.assign(_rank=[0 if c in view.chosen else 1 for c in named["code"]]).sort_values(
        ["_rank", "need"]
    )

    def pixel(x, y):
        px = (x - x_range[0]) / (x_range[1] - x_range[0]) * PLOT_WIDTH
        py = (1 - (y - y_range[0]) / (y_range[1] - y_range[0])) * PLOT_HEIGHT
        return px, py

    texts = []
    for row in order.itertuples():
        text = row.name
        if row.code in set(outliers["code"]):
            text = f"{row.name} : {fmt.number(row.help_rate, 1)} ↑"
        texts.append((text, *pixel(row.need, drawn_y[row.Index]), row))
    others = [pixel(x, y) for x, y in zip(placed["need"], drawn_y, strict=True)]
    spots = place_names([(t, px, py) for t, px, py, _ in texts], others)
    for (text, _, _, row), (_, _, _, dx, dy) in zip(texts, spots, strict=True):
        far = abs(dy) > 20 or abs(dx) > 0 and abs(dy) > 0
        chosen = row.code in view.chosen
        fig.add_annotation(
            x=row.need,
            y=drawn_y[row.Index],
            text=f"<b>{text}</b>" if chosen else text,
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
        text=f"Médiane du besoin : {fmt.number(nm, view.need_decimals)}",
        showarrow=False,
        font={"size": 11, "color": "#333333"},
        bgcolor="rgba(255,255,255,0.85)",
    )
    fig.add_annotation(
        x=1,
        xref="paper",
        xanchor="right",
        y=hm,
        yanchor="bottom",
        text=f"Médiane de l'aide : {fmt.number(hm, 1)}",
        showarrow=False,
        font={"size": 11, "color": "#333333"},
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
        x=_x_max(view) if not view.high_need_below else _x_min(view),
        xanchor="right" if not view.high_need_below else "left",
        y=0,
        yanchor="bottom",
        text="Besoin élevé, aide faible",
        showarrow=False,
        font={"size": 11, "color": "#A03F00"},
    )


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
    fig = base_layout(fig, title, height=max(260, 110 + 48 * len(data)))
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
