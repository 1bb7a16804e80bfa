"""« Répartir une enveloppe »: the chart comparing the rules (one line per commune, one
marker per rule: colour and shape, so that the rules read in black and white too) and the
map of the chosen rule's shares, drawn by observatoire/map (same figure as the Carte page)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go

from observatoire.allocation import RULES, Comparison, rule_name
from observatoire.charts import PALETTE, base_layout
from observatoire.map import choices as map_choices
from observatoire.map import figure as map_figure
from observatoire.map.choices import MapChoices, MapView

RULE_SYMBOLS = {
    "population": "circle",
    "besoin": "diamond",
    "rattrapage": "triangle-up",
    "melange": "square",
}


def rules_chart(c: Comparison, title: str) -> go.Figure:
    """Each kept commune on its own line (sorted by the chosen rule's share, the largest at
    the top), its share under every rule as a marker; a thin line joins the smallest and
    largest share, so the spread between rules shows at a glance."""
    t = c.table[~c.table["excluded"]]
    column = f"share_{c.choices.rule}"
    t = t.sort_values([column, "name"], ascending=[True, False], na_position="first")
    fig = go.Figure()
    shares = t[[f"share_{r}" for r in c.rules]]
    low, high = shares.min(axis=1), shares.max(axis=1)
    xs, ys = [], []
    for name, a, b in zip(t["name"], low, high, strict=True):
        xs += [a, b, None]
        ys += [name, name, None]
    fig.add_scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": "#bbbbbb", "width": 2},
        hoverinfo="skip",
        showlegend=False,
    )
    unit = c.units.plural
    for i, rule in enumerate(c.rules):
        values = t[f"share_{rule}"]
        if values.isna().all():
            continue
        chosen = rule == c.choices.rule
        fig.add_scatter(
            x=values,
            y=t["name"],
            mode="markers",
            name=rule_name(c, rule).capitalize() + (" (règle choisie)" if chosen else ""),
            marker={
                "color": PALETTE[i],
                "symbol": RULE_SYMBOLS[rule],
                "size": 12 if chosen else 9,
                "line": {"color": "#222222" if chosen else "white", "width": 1},
            },
            hovertemplate=f"<b>%{{y}}</b><br>{RULES[rule]} : %{{x:,.0f}} {unit}<extra></extra>",
        )
    height = max(400, 190 + 22 * len(t))
    fig = base_layout(fig, title, height=height)
    fig.update_xaxes(title=f"Part ({unit})", tickformat=",.0f", rangemode="tozero")
    fig.update_yaxes(automargin=True, type="category")
    # The legend between the title and the plot, room for it on three lines (a phone).
    fig.update_layout(
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "title": None},
        margin={"l": 10, "r": 20, "t": 150, "b": 50},
        hovermode="closest",
    )
    return fig


def rules_reading(c: Comparison) -> str:
    """The alternative text of the comparison chart."""
    spread = []
    for rule in c.rules:
        values = c.table.loc[~c.table["excluded"], f"share_{rule}"]
        if values.notna().any():
            spread.append(
                f"{RULES[rule].lower()} de {c.units.count(values.min())} à "
                f"{c.units.count(values.max())}"
            )
    return "Part de chaque commune selon les règles : " + " ; ".join(spread) + "."


def share_map_view(c: Comparison, title: str) -> MapView:
    """The chosen rule's shares as a map view of observatoire/map (classes, legend, hover):
    shares are not counts of people, nothing is masked; an excluded commune gets 0."""
    t = c.table
    values = pd.DataFrame(
        {
            "code": t["code"],
            "name": t["name"],
            "ept_code": t["ept_code"],
            "ept_name": t["ept_name"],
            "population": t["population"],
            "value": c.chosen.fillna(0).astype(float),
            "has_demo": False,
            "mask_text": None,  # read as figures of the protected tables: none hidden
        }
    )
    key = c.choices.item if c.choices.measure == "quantite" else None
    # Natural breaks: shares are often 0 for many communes (catching up), which quantiles
    # would fold into a single class.
    choices = MapChoices(
        level="commune", indicator=c.choices.measure, key=key, norm="brut", method="jenks"
    )
    view = map_choices.prepare(values, choices.checked())
    return replace(view, title=title)


def share_map(view: MapView, shapes, outlines, labels, schematic: bool) -> go.Figure:
    """The map of the Carte page (observatoire/map/figure.py) for SHARE_MAP_VIEW, its legend
    below the map in a row: beside it, on a phone, it would leave the map no width."""
    fig = map_figure.territory_map(
        view,
        shapes,
        outlines,
        labels=labels,
        schematic=schematic,
        names=dict(zip(view.table["code"], view.table["name"], strict=True)),
    )
    legend = {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "top"}
    fig.update_layout(legend=legend, margin={"l": 10, "r": 10, "t": 60, "b": 120})
    return fig
