"""The places of digital mediation drawn over the map: how fresh each one's information is,
its hover text, and the scatter traces (one per freshness, each with its own marker shape,
so that the flag never rests on colour alone).

Freshness follows the national tools (cartographie nationale des lieux d'inclusion
numérique): information updated more than 12 months ago is « à vérifier », more than 18
months ago « à actualiser », counted from today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from observatoire import fmt
from observatoire.map.shapes import LON_SCALE

VERIFY_MONTHS, UPDATE_MONTHS = 12, 18


@dataclass(frozen=True)
class Freshness:
    key: str
    label: str  # the legend entry
    flag: str  # the hover's words, "" for fresh information
    symbol: str  # Plotly marker symbol: the shape tells the flag apart, not the colour
    colour: str


FRESHNESS = {
    "a_jour": Freshness("a_jour", "Lieu à jour (moins de 12 mois)", "", "circle", "#1b1b1b"),
    "a_verifier": Freshness(
        "a_verifier",
        "Lieu à vérifier (12 à 18 mois)",
        "à vérifier",
        "diamond",
        "#8c510a",
    ),
    "a_actualiser": Freshness(
        "a_actualiser",
        "Lieu à actualiser (plus de 18 mois)",
        "à actualiser",
        "x",
        "#b2182b",
    ),
}


def months_before(today: date, months: int) -> date:
    """The same day MONTHS months before TODAY (the month's last day when it is shorter)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, min(day, today.day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def freshness(updated, today: date) -> str:
    """'a_jour', 'a_verifier' (updated more than 12 months before TODAY) or 'a_actualiser'
    (more than 18 months, or no date of update)."""
    if updated is None or pd.isna(updated):
        return "a_actualiser"
    updated = pd.Timestamp(updated).date()
    if updated < months_before(today, UPDATE_MONTHS):
        return "a_actualiser"
    if updated < months_before(today, VERIFY_MONTHS):
        return "a_verifier"
    return "a_jour"


def freshness_of(places: pd.DataFrame, today: date) -> pd.Series:
    """The freshness key of each place (column date_maj)."""
    return pd.Series(
        [freshness(d, today) for d in places["date_maj"]], index=places.index, dtype=object
    )


def _hover(row, flag: str) -> str:
    address = " ".join(
        str(part)
        for part in (row.adresse, row.code_postal, row.commune)
        if part is not None and not pd.isna(part) and str(part).strip()
    )
    lines = [f"<b>{fmt.chart_text(str(row.nom))}</b>"]
    if address:
        lines.append(fmt.chart_text(address))
    if row.services:
        lines.append("Services : " + fmt.chart_text(str(row.services)))
    if row.programmes:
        lines.append("Dispositifs : " + fmt.chart_text(str(row.programmes)))
    updated = (
        "date inconnue"
        if row.date_maj is None or pd.isna(row.date_maj)
        else fmt.french_date(row.date_maj)
    )
    lines.append(f"Mis à jour : {updated}" + (f" — <b>{flag}</b>" if flag else ""))
    return "<br>".join(lines)


PLACES_PREFIX = "Lieu "  # the names of the places' traces start with it (tests, legend)


def add_places(fig: go.Figure, places: pd.DataFrame, today: date) -> dict[str, int]:
    """Draw PLACES (map_places rows) over FIG: one trace per freshness, with its legend
    entry; return how many places of each freshness were drawn."""
    if places.empty:
        return {}
    keys = freshness_of(places, today)
    drawn = {}
    for key, style in FRESHNESS.items():
        rows = places[keys == key]
        if rows.empty:
            continue
        fig.add_scatter(
            x=(rows["longitude"] * LON_SCALE).round(6),
            y=rows["latitude"].round(6),
            mode="markers",
            marker={
                "symbol": style.symbol,
                "size": 9 if style.symbol != "x" else 8,
                "color": style.colour,
                "line": {"color": "white", "width": 1.2},
            },
            hovertext=[_hover(row, style.flag) for row in rows.itertuples(index=False)],
            hovertemplate="%{hovertext}<extra></extra>",
            name=f"{style.label} : {fmt.number(len(rows))}",
            legendgroup="places",
            legendrank=900,
            showlegend=True,
            selected={"marker": {"opacity": 1}},
            unselected={"marker": {"opacity": 1}},
        )
        drawn[key] = len(rows)
    return drawn


def bounds_of(shapes: dict) -> tuple[float, float, float, float]:
    """The WGS84 box (lon_min, lat_min, lon_max, lat_max) around the drawn SHAPES (which are
    scaled: longitude × LON_SCALE), a little widened so that border places are kept."""
    import shapely

    minx, miny, maxx, maxy = shapely.union_all(list(shapes.values())).bounds
    pad = 0.002
    return (minx / LON_SCALE - pad, miny - pad, maxx / LON_SCALE + pad, maxy + pad)
