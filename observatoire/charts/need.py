"""Figures of need (issue #13): the « Aide et besoins » scatter (help per 1 000 inhabitants
against a need indicator, one colour per EPT, names written, the two medians dashed) and
the territory sheet's IFN sub-scores on a 0–10 axis with the EPT and département markers."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from observatoire import fmt
from observatoire.charts import PALETTE, base_layout
from observatoire.need import NeedView

MEDIAN_LINE = {"dash": "dash", "color": "#555555", "width": 1.5}
EPT_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon")


def ept_colours(ept_names: list[str]) -> dict[str, str]:
    """One Okabe–Ito colour per EPT, in alphabetical order (stable from page to page)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(ept_names)))}


def need_scatter(view: NeedView, title: str) -> go.Figure:
    """Each placed territory at (need, help per 1 000 inhabitants), coloured (and shaped) by
    EPT, its name beside it; the two medians as labelled dashed lines; the priority
    quadrant shaded. Territories not placed (masked help, no data) are not drawn."""
    placed = view.placed
    fig = go.Figure()
    colours = ept_colours(list(view.table["ept_name"]))
    need_fmt = f".{view.need_decimals}f"
    # Names alternately above and below their point, in order of need: neighbours along the
    # need axis do not write over each other as often.
    order = placed["need"].rank(method="first")
    positions = order.map(lambda r: "top center" if r % 2 else "bottom center")
    for i, (ept, rows) in enumerate(placed.groupby("ept_name", sort=True)):
        fig.add_scatter(
            x=rows["need"],
            y=rows["help_rate"],
            mode="markers+text",
            name=ept if view.level == "commune" else "EPT",
            text=rows["name"],
            textposition=list(positions[rows.index]),
            textfont={"size": 10, "color": "#333333"},
            marker={
                "color": colours[ept],
                "size": 11,
                "symbol": EPT_SYMBOLS[i % len(EPT_SYMBOLS)],
                "line": {"color": "white", "width": 1},
            },
            customdata=rows[["population"]],
            hovertemplate=(
                f"<b>%{{text}}</b><br>{view.need_label} : %{{x:{need_fmt}}}<br>"
                f"{view.help_label} : %{{y:,.1f}}<br>%{{customdata[0]:,.0f}} habitants"
                "<extra></extra>"
            ),
            showlegend=view.level == "commune",
        )
    if not placed.empty and not math.isnan(view.need_median):
        _medians_and_quadrant(fig, view)
    fig.update_xaxes(title=view.need_label + _direction_hint(view.direction), tickformat=need_fmt)
    fig.update_yaxes(title=view.help_label, tickformat=",.0f", rangemode="tozero", automargin=True)
    fig.update_xaxes(automargin=True)
    fig = base_layout(fig, title, height=680)
    fig.update_layout(
        legend={"y": -0.14, "title": {"text": "EPT "}},
        margin={"l": 70, "r": 20, "t": 70, "b": 60},
    )
    return fig


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
