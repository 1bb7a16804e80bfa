"""The territory sheet's (the page's) tables, charts and readings, from the content of
observatoire/territory.py: its key figures beside its EPT and the département, its records,
the monthly distributions per programme and the funders; its needs beside its EPT and the
département, and its places of digital mediation with their age. Small counts of people are
masked by observatoire.disclosure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from observatoire import disclosure, fmt
from observatoire.charts import base_layout, series_marker
from observatoire.need import vintage_text
from observatoire.territory import KEY_FIGURES

PER_THOUSAND = " (pour 1 000 hab.)"


def comparison_table(figures: list[tuple[str, Mapping]]) -> pd.DataFrame:
    """Key figures of a territory beside its EPT and the département: each indicator as a
    count and per 1 000 inhabitants. FIGURES: (column name, key_figures dict), in order.
    Small counts of people read « < 5 » and their rate « masqué » (public mode; protected
    figures read their own label, « < 5 » or « secret »); the population has no rate."""
    rows = []
    for key, label in KEY_FIGURES:
        row = {"Indicateur": label}
        for name, fig in figures:
            label = fig.get(f"{key}_label")  # a protected figure hidden (a lecteur)
            value = float(fig.get(key) or 0)
            rate = value * 1000 / fig["population"] if fig.get("population") else math.nan
            if label:
                value, rate = label, disclosure.DERIVED_LABEL
            elif f"{key}_status" not in fig:
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
    "status",
    "departement_progress",
    "share_rule",
    "source_title",
)


def programme_months_split(months: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(for the chart, for its export) of the monthly quantities per programme: protected
    figures (protected.programme_months, a lecteur) already lack the hidden ones, and their
    export reads the label (« < 5 », « secret »); exact ones go through
    disclosure.mask_people (a no-op for an interne)."""
    if "label" not in months:
        return disclosure.mask_people(months, "quantity", by="programme_name")
    exported = months.drop(columns=["status", "label"])
    exported["quantity"] = exported["quantity"].astype(object)
    hidden = months["label"].notna()
    exported.loc[hidden, "quantity"] = months.loc[hidden, "label"]
    chart = months.drop(columns=["status", "label"])
    return chart, disclosure.mark(exported, "protected")


MONTHS_FORMATS = {"Mois": lambda d: f"{pd.Timestamp(d):%m/%Y}", "Quantité distribuée": fmt.number}


def months_table(exported: pd.DataFrame) -> pd.DataFrame:
    """The monthly quantities per programme as a lecteur gets them instead of the records."""
    table = pd.DataFrame(
        {
            "Mois": exported["month"],
            "Programme": exported["programme_name"],
            "Quantité distribuée": exported["quantity"],
        }
    ).reset_index(drop=True)
    return disclosure.mark(table, "protected")


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


# Besoins (issue #13) -----------------------------------------------------------------------

NEED_METHOD = (
    "Valeurs de l'EPT et de la Seine-Saint-Denis : moyenne des valeurs de leurs communes "
    "pondérée par la population municipale de chacune (les effectifs sont rapportés à "
    "1 000 habitants)."
)
IFN_TOTAL = "ifn"


def _unit(row: Mapping) -> str:
    if row["measure"] == "effectif":
        return "pour 1 000 habitants"
    if row["unit"] == "score" and row["scale_max"] == row["scale_max"]:
        return f"score de {fmt.number(row['scale_min'])} à {fmt.number(row['scale_max'])}"
    return str(row["unit"])


# Which end of a need indicator is fragile (its direction), for the page and the fiche.
FRAGILE_ENDS = {
    "fragile_haut": "plus haut = plus fragile",
    "fragile_bas": "plus bas = plus fragile",
}
IFN_PREFIX = "IFN – "


def _fragile_end(direction: str) -> str:
    return FRAGILE_ENDS.get(direction, "sans sens de fragilité")


def needs_table(
    territory: tuple[str, pd.DataFrame],
    ept: tuple[str, pd.DataFrame] | None,
    departement: pd.DataFrame,
) -> pd.DataFrame:
    """Each need indicator of the territory beside its EPT (None on an EPT's sheet) and the
    département: (column name, warehouse.need_by_territory rows) each; with the unit, which end
    is fragile, the year (or vintage) and the source. Indicators the territory lacks are
    shown « – » for it; a hidden count of people (Aidants Connect, a lecteur's protected
    cells: rows with mask_text) « masqué »."""
    name, rows = territory
    catalogue = departement.set_index("indicator")
    own = rows.set_index("indicator")["value"]
    theirs = ept[1].set_index("indicator")["value"] if ept is not None else None
    out = []
    for indicator, meta in catalogue.iterrows():
        row = {"Indicateur": meta["label"], name: own.get(indicator, math.nan)}
        if ept is not None:
            row[ept[0]] = theirs.get(indicator, math.nan)
        row["Seine-Saint-Denis"] = meta["value"]
        row["Unité"] = _unit(meta)
        row["Lecture"] = _fragile_end(meta["direction"])
        row["Année"] = vintage_text(meta).removeprefix("données ").removeprefix("millésime ")
        row["Source"] = meta["source"]
        out.append(row)
    frame = pd.DataFrame(out)
    compared = [name, *([ept[0]] if ept is not None else []), "Seine-Saint-Denis"]
    frame[compared] = frame[compared].astype(float).round(2)
    sources = [
        (name, rows),
        *([ept] if ept is not None else []),
        ("Seine-Saint-Denis", departement),
    ]
    for column, source in sources:
        if "mask_text" not in source:
            continue
        hidden = set(source.loc[source["mask_text"].notna(), "label"])
        masked = frame["Indicateur"].isin(hidden)
        frame[column] = disclosure.labelled(frame[column], masked, disclosure.DERIVED_LABEL)
    return frame


def needs_formats(table: pd.DataFrame) -> dict:
    numbers = [
        c
        for c in table.columns
        if pd.api.types.is_float_dtype(table[c])
        or (table[c] == disclosure.DERIVED_LABEL).any()  # numbers beside « masqué »
    ]
    return {column: (lambda v: v if isinstance(v, str) else fmt.number(v, 1)) for column in numbers}


def subscore_label(label: str) -> str:
    """« IFN – absence de couverture 4G » → « Absence de couverture 4G » (str.capitalize
    would lower the G)."""
    text = label.removeprefix(IFN_PREFIX)
    return text[:1].upper() + text[1:]


def subscores(
    territory: pd.DataFrame, ept: pd.DataFrame | None, departement: pd.DataFrame
) -> pd.DataFrame:
    """The IFN sub-scores (scores on 0–10 of the group « Fragilité numérique », the total
    left out): label, value, ept (NaN on an EPT's sheet), departement; in catalogue order."""
    scores = departement[
        (departement["grp"] == "Fragilité numérique")
        & (departement["unit"] == "score")
        & (departement["scale_min"] == 0)
        & (departement["scale_max"] == 10)
        & (departement["indicator"] != IFN_TOTAL)
    ]
    own = territory.set_index("indicator")["value"]
    theirs = ept.set_index("indicator")["value"] if ept is not None else pd.Series(dtype=float)
    frame = pd.DataFrame(
        {
            "indicator": scores["indicator"],
            "label": [subscore_label(label) for label in scores["label"]],
            "value": scores["indicator"].map(own).astype(float),
            "ept": scores["indicator"].map(theirs).astype(float),
            "departement": scores["value"].astype(float),
        }
    )
    return frame.dropna(subset=["value"]).reset_index(drop=True)


# A place's date of update: older than this many months, it should be checked, then updated.
PLACE_CHECK_MONTHS, PLACE_UPDATE_MONTHS = 12, 18
PLACE_STATES = ("à jour", "à vérifier", "à actualiser", "date inconnue")


def place_state(updated, today: date) -> str:
    """« à jour », « à vérifier » (updated more than 12 months before TODAY), « à
    actualiser » (more than 18 months) or « date inconnue »."""
    if updated is None or pd.isna(updated):
        return PLACE_STATES[3]
    updated, now = pd.Timestamp(updated).normalize(), pd.Timestamp(today)
    if updated < now - pd.DateOffset(months=PLACE_UPDATE_MONTHS):
        return PLACE_STATES[2]
    if updated < now - pd.DateOffset(months=PLACE_CHECK_MONTHS):
        return PLACE_STATES[1]
    return PLACE_STATES[0]


def places_table(places: pd.DataFrame, today: date) -> pd.DataFrame:
    """The places of a territory (warehouse.territory_places) as shown and downloaded."""
    return pd.DataFrame(
        {
            "Lieu": places["name"],
            "Commune": places["commune"],
            "Adresse": places["address"],
            "Programmes": places["programmes"],
            "Services": places["services"],
            "Mise à jour": places["date_maj"],
            "État": [place_state(d, today) for d in places["date_maj"]],
            "Source": places["source"],
        }
    ).reset_index(drop=True)


PLACES_FORMATS = {"Mise à jour": fmt.french_date}


def state_limits(today: date) -> tuple[date, date]:
    """(check_before, update_before): a place updated before the first is « à vérifier »,
    before the second « à actualiser » (place_state's rule, for the SQL summary)."""
    now = pd.Timestamp(today)
    check = (now - pd.DateOffset(months=PLACE_CHECK_MONTHS)).date()
    update = (now - pd.DateOffset(months=PLACE_UPDATE_MONTHS)).date()
    return check, update


# The most recently updated places shown on screen (the downloads hold them all).
PLACES_SHOWN = 500


def places_caption(summary: Mapping) -> str:
    """How old the places are (warehouse.territory_places_summary): « 6 lieux, mis à jour du
    01/02/2020 au 07/07/2022 (sources : …) ; 6 à actualiser (mise à jour de plus de 18
    mois), 0 à vérifier (plus de 12 mois). »"""
    count = int(summary.get("places") or 0)
    if not count:
        return "Aucun lieu de médiation numérique connu sur ce territoire."
    span = (
        f", mis à jour du {fmt.french_date(summary['oldest'])} au "
        f"{fmt.french_date(summary['newest'])}"
        if summary.get("newest") is not None and not pd.isna(summary["newest"])
        else ""
    )
    sources = ", ".join(list(summary.get("sources", [])))
    undated = int(summary.get("undated") or 0)
    return (
        f"{fmt.plural(count, 'lieu', 'lieux')}{span} (sources : {sources}) ; "
        f"{fmt.number(summary['to_update'])} à actualiser (mise à jour de plus de "
        f"{PLACE_UPDATE_MONTHS} mois), {fmt.number(summary['to_check'])} à vérifier (plus de "
        f"{PLACE_CHECK_MONTHS} mois)"
        + (f", {fmt.number(undated)} sans date" if undated else "")
        + "."
    )
