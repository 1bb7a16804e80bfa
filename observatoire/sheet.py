"""The territory sheet's tables, charts and readings: its key figures beside its EPT and
the département, its records, the monthly distributions per programme and the funders.
Small counts of people are masked by observatoire.disclosure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from observatoire import disclosure, fmt
from observatoire.charts import base_layout, series_marker

COMPARED = (
    ("items_distributed", "Équipements distribués"),
    ("people_reached", "Personnes touchées"),
    ("euros_committed", "Euros engagés"),
    ("conseiller_posts", "Postes de conseillers numériques"),
)
PER_THOUSAND = " (pour 1 000 hab.)"


def comparison_table(figures: list[tuple[str, Mapping]]) -> pd.DataFrame:
    """Key figures of a territory beside its EPT and the département: each indicator as a
    count and per 1 000 inhabitants. FIGURES: (column name, key_figures dict), in order.
    Small counts of people read « < 5 » and their rate « masqué » (public mode); the
    population has no rate."""
    rows = []
    for key, label in COMPARED:
        row = {"Indicateur": label}
        for name, fig in figures:
            value = float(fig.get(key) or 0)
            rate = value * 1000 / fig["population"] if fig.get("population") else math.nan
            value, rate = disclosure.mask_figure(key, value, rate)
            row[name] = value
            row[name + PER_THOUSAND] = rate if isinstance(rate, str) else round(rate, 2)
        rows.append(row)
    population = {"Indicateur": "Population municipale 2023"}
    for name, fig in figures:
        population[name] = float(fig.get("population") or 0)
        population[name + PER_THOUSAND] = math.nan
    rows.append(population)
    return pd.DataFrame(rows)


def comparison_formats(table: pd.DataFrame) -> dict:
    return {
        column: (lambda v: fmt.number(v, 2)) if column.endswith(PER_THOUSAND) else fmt.number
        for column in table.columns[1:]
    }


# The newest records shown on screen (the downloads hold them all).
RECORDS_SHOWN = 1000
RECORDS_FORMATS = {
    "Date": fmt.french_date,
    "Quantité": fmt.number,
    "Montant (€)": fmt.money,
    "Démonstration": lambda v: "oui" if v else "non",
}
# The data behind the sheet's progress chart (its export).
PROGRESS_COLUMNS = (
    "programme_name",
    "label",
    "achieved",
    "target_share",
    "unit",
    "progress",
    "share_rule",
    "source_title",
)


def programme_months_bars(frame: pd.DataFrame, title: str) -> go.Figure:
    """Monthly quantities, one colour per programme (stacked)."""
    fig = go.Figure()
    for i, (name, rows) in enumerate(frame.groupby("programme_name", sort=True)):
        fig.add_bar(
            x=rows["month"],
            y=rows["quantity"],
            name=name,
            marker=series_marker(i),
            hovertemplate=f"{name} – %{{x|%m/%Y}} : %{{y:,.0f}}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    # A short period: one tick per month (else Plotly repeats a month between two ticks).
    monthly = "M1" if frame["month"].nunique() <= 12 else None
    fig.update_xaxes(tickformat="%m/%Y", title=None, dtick=monthly)
    fig.update_yaxes(tickformat=",.0f", title=None)
    fig = base_layout(fig, title, height=420)
    fig.update_layout(legend={"y": -0.45})
    return fig


def funders_bars(frame: pd.DataFrame, title: str) -> go.Figure:
    data = frame.sort_values("amount_eur")
    fig = go.Figure(
        go.Bar(
            x=data["amount_eur"],
            y=data["funder"],
            orientation="h",
            marker_color="#0072B2",
            text=[fmt.money(v) for v in data["amount_eur"]],
            textposition="auto",
            hovertemplate="%{y} : %{x:,.0f} €<extra></extra>",
        )
    )
    fig.update_xaxes(tickformat=",.0f", ticksuffix=" €", title=None)
    return base_layout(fig, title, height=max(220, 80 + 40 * len(data)))


def programme_months_reading(frame: pd.DataFrame) -> str:
    """« Mois le plus actif : 11/2020 (1 240 distributions, dont 1 000 pour Emmaüs
    Connect) ; 3 programmes, 5 400 distributions au total. »"""
    if frame.empty:
        return "Aucune distribution enregistrée."
    per_month = frame.groupby("month")["quantity"].sum()
    peak = per_month.idxmax()
    in_peak = frame[frame["month"] == peak].sort_values("quantity", ascending=False).iloc[0]
    programmes = frame["programme_name"].nunique()
    return (
        f"Mois le plus actif : {pd.Timestamp(peak):%m/%Y} ({fmt.number(per_month.max())} "
        f"distributions, dont {fmt.number(in_peak['quantity'])} pour "
        f"{in_peak['programme_name']}) ; {fmt.plural(programmes, 'programme')}, "
        f"{fmt.number(per_month.sum())} distributions au total."
    )


def funders_reading(frame: pd.DataFrame) -> str:
    """« État : 300 000 €, premier des 3 financeurs ; 450 000 € au total. »"""
    if frame.empty:
        return "Aucun financement."
    top = frame.sort_values("amount_eur", ascending=False).iloc[0]
    if len(frame) == 1:
        return f"{top['funder']}, seul financeur : {fmt.money(top['amount_eur'])}."
    return (
        f"{top['funder']} : {fmt.money(top['amount_eur'])}, premier des {len(frame)} "
        f"financeurs ; {fmt.money(frame['amount_eur'].sum())} au total."
    )
