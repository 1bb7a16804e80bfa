"""Plotly figures for the pages: pure functions of small DataFrames, testable without Streamlit.

French number format (separators), a colour-blind-safe palette (Okabe–Ito) and a title on
every figure, so that a chart downloaded from the browser still says what it shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from observatoire import fmt

# Okabe–Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
ITEM_COLOURS = dict(
    zip(
        ["tablette", "ordinateur", "smartphone", "carte_sim", "recharge", "accompagnement"],
        PALETTE,
        strict=False,
    )
)
FONT = "DejaVu Sans, Arial, sans-serif"
# Chart text (titles, axis labels, legends): 11:1 on white. Streamlit's chart theme otherwise
# draws tick labels and legends in a light grey (#808495, 3.8:1, under WCAG AA's 4.5:1).
TEXT_COLOUR = "#3A3A3A"
# Beyond the palette's 8 colours, series are told apart by a hatching over the colour.
HATCHINGS = ("", "/", "x", ".", "+", "\\", "-", "|")


def series_marker(i: int) -> dict:
    """The marker of the i-th series of a chart with many (schemes, programmes): a colour of
    the palette, hatched from the 9th series on, so that no two series look the same."""
    return {
        "color": PALETTE[i % len(PALETTE)],
        "pattern": {"shape": HATCHINGS[(i // len(PALETTE)) % len(HATCHINGS)]},
    }


def base_layout(fig: go.Figure, title: str, *, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        separators=fmt.PLOTLY_SEPARATORS,
        font={"family": FONT, "size": 13, "color": TEXT_COLOUR},
        title_font_color=TEXT_COLOUR,
        legend_font_color=TEXT_COLOUR,
        height=height,
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        plot_bgcolor="white",
        hoverlabel={"font_family": FONT},
    )
    text = {"tickfont_color": TEXT_COLOUR, "title_font_color": TEXT_COLOUR}
    fig.update_xaxes(gridcolor="#e5e5e5", zerolinecolor="#999", **text)
    fig.update_yaxes(gridcolor="#e5e5e5", zerolinecolor="#999", **text)
    return fig


def items_bar(
    by_item: pd.DataFrame, title: str = "Quantités distribuées par type d'aide"
) -> go.Figure:
    data = by_item.sort_values("quantity")
    labels = [fmt.item_label(i) for i in data["item"]]
    fig = go.Figure(
        go.Bar(
            x=data["quantity"],
            y=labels,
            orientation="h",
            marker_color=[ITEM_COLOURS.get(i, PALETTE[-1]) for i in data["item"]],
            text=[fmt.number(v) for v in data["quantity"]],
            textposition="auto",
            hovertemplate="%{y} : %{x:,.0f}<extra></extra>",
        )
    )
    fig.update_xaxes(tickformat=",.0f", title=None)
    return base_layout(fig, title, height=max(240, 60 + 45 * len(data)))


def monthly_area(
    by_month: pd.DataFrame, title: str = "Distributions mensuelles par type d'aide"
) -> go.Figure:
    fig = go.Figure()
    for item, rows in by_month.groupby("item", sort=False):
        fig.add_bar(
            x=rows["month"],
            y=rows["quantity"],
            name=fmt.item_label(item),
            marker_color=ITEM_COLOURS.get(item, PALETTE[-1]),
            hovertemplate=f"{fmt.item_label(item)} – %{{x|%m/%Y}} : %{{y:,.0f}}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat="%m/%Y", title=None)
    fig.update_yaxes(tickformat=",.0f", title=None)
    return base_layout(fig, title)


def _wrap(text: str, width: int = 60) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


# One French sentence per figure stating its main reading (alternative text, press kits).


def items_reading(by_item: pd.DataFrame) -> str:
    if by_item.empty:
        return "Aucune distribution enregistrée."
    top = by_item.sort_values("quantity", ascending=False).iloc[0]
    return (
        f"{fmt.item_label(top['item'])} : {fmt.number(top['quantity'])}, premier type d'aide "
        f"sur {len(by_item)} ; {fmt.number(by_item['quantity'].sum())} au total."
    )


def monthly_reading(by_month: pd.DataFrame) -> str:
    if by_month.empty:
        return "Aucune distribution enregistrée."
    per_month = by_month.groupby("month")["quantity"].sum()
    peak = per_month.idxmax()
    return (
        f"Mois le plus actif : {pd.Timestamp(peak):%m/%Y}, avec "
        f"{fmt.number(per_month.max())} distributions sur {fmt.number(per_month.sum())}."
    )


# Trace attributes that Plotly draws as text (labels, legend, hovers, Sankey nodes).
_TEXT_ATTRIBUTES = ("x", "y", "name", "text", "hovertext", "hovertemplate", "customdata")


def _clean(value):
    """`value` with every string through fmt.chart_text; the same object when unchanged (so
    numeric arrays, the bulk of a map, are not copied)."""
    if isinstance(value, str):
        cleaned = fmt.chart_text(value)
        return value if cleaned == value else cleaned
    if isinstance(value, np.ndarray) and value.dtype.kind != "O":
        return value
    if isinstance(value, list | tuple | np.ndarray):
        # Plotly arrays hold one kind of value: numbers or dates (a map's thousands of
        # coordinates) have no text, judged on their first value.
        first = next((v for v in value if v is not None), None)
        if first is None or not isinstance(first, str | list | tuple | np.ndarray):
            return value
        items = [_clean(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items) if isinstance(value, list | tuple) else np.array(items)
    return value


def safe_text(fig: go.Figure) -> go.Figure:
    """The figure with no markup but formatting from its data: names from users' files
    (programmes, funders, targets) are drawn as text, never as a link or a styled span.
    ui.chart applies it to every figure it shows or exports. In place; returns fig."""
    for trace in fig.data:
        for attribute in _TEXT_ATTRIBUTES:
            if attribute not in trace:
                continue
            value = trace[attribute]
            cleaned = _clean(value)
            if cleaned is not value:
                trace[attribute] = cleaned
        if trace.type == "sankey" and trace.node.label is not None:
            trace.node.label = _clean(trace.node.label)
    if fig.layout.title.text:
        fig.layout.title.text = fmt.chart_text(fig.layout.title.text)
    for annotation in fig.layout.annotations:
        if annotation.text:
            annotation.text = fmt.chart_text(annotation.text)
    fig.for_each_yaxis(lambda axis: _clean_axis(axis))
    fig.for_each_xaxis(lambda axis: _clean_axis(axis))
    return fig


def _clean_axis(axis) -> None:
    for attribute in ("categoryarray", "ticktext"):
        value = axis[attribute]
        if value is not None:
            cleaned = _clean(value)
            if cleaned is not value:
                axis[attribute] = cleaned
