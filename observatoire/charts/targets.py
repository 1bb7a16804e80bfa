"""Figures and tables of the « Objectifs » page: where each target stands, by territory and
over time. Pure functions of the small frames of warehouse.target_progress and
warehouse.target_territory_progress, testable without Streamlit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from observatoire import fmt
from observatoire.charts import PALETTE, _wrap, base_layout

# From the most to the least worrying (status_rank in _target_status.sql).
STATUSES = ["en retard", "non commencé", "en cours", "en bonne voie", "atteint"]
STATUS_COLOURS = {
    "en retard": PALETTE[5],  # vermillion
    "non commencé": "#8c8c8c",
    "en cours": PALETTE[4],  # sky blue
    "en bonne voie": PALETTE[0],  # blue
    "atteint": PALETTE[2],  # bluish green
}
STATUS_HELP = {
    "atteint": "Réalisé au moins égal à l'objectif.",
    "en bonne voie": "Réalisé au moins égal à ce que la ligne droite du début à l'échéance "
    "prévoit à ce jour.",
    "en retard": "Réalisé inférieur à ce que la ligne droite du début à l'échéance prévoit "
    "à ce jour.",
    "non commencé": "Aucune réalisation enregistrée.",
    "en cours": "Réalisations enregistrées, objectif sans échéance : avancement seul.",
}


def progress_text(ratio) -> str:
    """'45 %'; just short of the target reads '99,9 %', never a rounded '100 %'."""
    if not pd.isna(ratio) and 0.995 <= ratio < 1:
        return fmt.percent(min(ratio, 0.999), 1)
    return fmt.percent(ratio)


def sort_rows(rows: pd.DataFrame, laggards_first: bool, default: list[str]) -> pd.DataFrame:
    """The laggards first (status, then gap to the straight line), or the default order."""
    if laggards_first:
        return rows.sort_values(["status_rank", "lag", *default], kind="stable")
    return rows.sort_values(default, kind="stable")


# The status of a target whose achieved count is hidden (observatoire/protected.py).
HIDDEN_STATUS = "masqué"
HIDDEN_HELP = (
    "Réalisé masqué (secret des petits effectifs) : ni avancement, ni reste à faire, ni "
    "statut ne sont publiés."
)


def status_counts(rows: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(label, count, help) for each status, for a row of key figures; with the count of
    targets whose status is hidden, when there are some."""
    counts = rows["status"].value_counts()
    out = [
        (status.capitalize(), fmt.number(counts.get(status, 0)), STATUS_HELP[status])
        for status in reversed(STATUSES)
    ]
    if counts.get(HIDDEN_STATUS, 0):
        out.append(("Statut masqué", fmt.number(counts[HIDDEN_STATUS]), HIDDEN_HELP))
    return out


def _end_text(rows: pd.DataFrame) -> list[str]:
    texts = []
    for deadline, end in zip(rows["deadline"], rows["end_date"], strict=True):
        if not pd.isna(deadline):
            texts.append(fmt.french_date(deadline))
        elif not pd.isna(end):
            texts.append(f"{fmt.french_date(end)} (fin du programme)")
        else:
            texts.append("sans échéance")
    return texts


def source_of(row) -> str:
    """« Title of the press release (17/11/2020) », or the file a target was loaded from."""
    if isinstance(row.source_title, str):
        return f"« {row.source_title} » ({fmt.french_date(row.source_date)})"
    return f"fichier « {row.source} »"


def monthly_table(row) -> pd.DataFrame:
    """The trajectory chart's data: cumulative achievement by month."""
    return pd.DataFrame(list(row.monthly), columns=["month", "achieved"]).rename(
        columns={"month": "Mois", "achieved": f"Réalisé cumulé ({row.unit})"}
    )


_NUMBER_FORMATS: dict[str, Callable] = {
    "Réalisé": fmt.number,
    "Objectif": fmt.number,
    "Avancement": progress_text,
    "Reste à faire": fmt.number,
    "Rythme nécessaire par mois": lambda v: fmt.number(v, 1),
    "Population": fmt.number,
}


def progress_table(rows: pd.DataFrame, territorial: bool) -> tuple[pd.DataFrame, dict]:
    """The targets table (numbers kept as numbers) and its French display formats."""
    table = pd.DataFrame(
        {
            "Programme": rows["programme_name"],
            "Objectif annoncé": rows["label"],
            "Réalisé": rows["achieved"],
            "Objectif": rows["target_share"],
            "Unité": rows["unit"],
            "Avancement": rows["progress"],
            "Reste à faire": rows["remaining"],
            "Échéance": _end_text(rows),
            "Rythme nécessaire par mois": rows["monthly_pace"],
            "Statut": rows["status"],
        }
    )
    if territorial:
        table["Part de l'objectif"] = rows["share_rule"].to_numpy()
        table["Financements départementaux non ventilés (€)"] = rows[
            "departement_wide_not_shared"
        ].to_numpy()
    table["Source"] = [source_of(row) for row in rows.itertuples()]
    formats = dict(_NUMBER_FORMATS)
    formats["Financements départementaux non ventilés (€)"] = fmt.money
    return table, formats


def territory_table(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One target's breakdown by territory (numbers kept as numbers) and its formats."""
    table = pd.DataFrame(
        {
            "Territoire": rows["territory_name"],
            "Code": rows["territory_code"],
            "EPT": rows["ept_name"],
            "Population": rows["population"],
            "Objectif": rows["target_share"],
            "Règle de répartition": rows["share_rule"],
            "Réalisé": rows["achieved"],
            "Avancement": rows["progress"],
            "Reste à faire": rows["remaining"],
            "Rythme nécessaire par mois": rows["monthly_pace"],
            "Statut": rows["status"],
        }
    )
    if (rows["level"] == "ept").all():
        table = table.drop(columns=["EPT"])
    return table, dict(_NUMBER_FORMATS)


def target_title(row) -> str:
    return f"{row.programme_name} – {row.label}"


def progress_bars(rows: pd.DataFrame, title: str = "Avancement des objectifs") -> go.Figure:
    """One bar per target (% achieved, coloured by status) and, where there is an end date,
    a mark at what the straight line from start to end expects today."""
    data = rows.iloc[::-1]
    labels = [_wrap(target_title(row), 70) for row in data.itertuples()]
    pct = (data["progress"].fillna(0) * 100).clip(upper=150)
    custom = [
        [fmt.number(a), fmt.number(t), unit or "", progress_text(p), status]
        for a, t, unit, p, status in zip(
            data["achieved"],
            data["target_share"],
            data["unit"],
            data["progress"],
            data["status"],
            strict=True,
        )
    ]
    fig = go.Figure(
        go.Bar(
            x=pct,
            y=labels,
            orientation="h",
            name="Réalisé",
            marker_color=[STATUS_COLOURS.get(s, PALETTE[-1]) for s in data["status"]],
            text=[
                f"{progress_text(p)} · {s}"
                for p, s in zip(data["progress"], data["status"], strict=True)
            ],
            textposition="auto",
            customdata=custom,
            hovertemplate="%{y}<br>%{customdata[0]} sur %{customdata[1]} %{customdata[2]}"
            " (%{customdata[3]}) – %{customdata[4]}<extra></extra>",
            showlegend=False,
        )
    )
    _label_empty_bars(fig, pct, labels, data)
    expected = data["elapsed"] * 100
    if expected.notna().any():
        fig.add_scatter(
            x=expected,
            y=labels,
            mode="markers",
            name="Attendu à ce jour (ligne droite)",
            marker={"symbol": "line-ns-open", "size": 22, "line": {"width": 3}, "color": "#222"},
            hovertemplate="Attendu à ce jour : %{x:.0f} %<extra></extra>",
        )
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    fig.update_xaxes(
        ticksuffix=f"{fmt.NBSP}%", range=[0, max(105, float(pct.max() or 0) + 5)], title=None
    )
    height = max(280, 90 + 44 * len(data))
    base_layout(fig, title, height=height)
    # The legend below the axis labels, whatever the height.
    fig.update_layout(legend={"y": -45 / (height - 100)})
    return fig


def _label_empty_bars(fig: go.Figure, pct: pd.Series, labels: list, data: pd.DataFrame) -> None:
    """A bar of zero width shows no text: write its status beside the axis instead."""
    empty = (pct < 3).to_numpy()
    if empty.any():
        fig.add_scatter(
            x=[0] * int(empty.sum()),
            y=[label for label, e in zip(labels, empty, strict=True) if e],
            mode="text",
            text=[
                f"{progress_text(p)} · {s}"
                for p, s in zip(data["progress"][empty], data["status"][empty], strict=True)
            ],
            textposition="middle right",
            showlegend=False,
            hoverinfo="skip",
        )


# Statuses whose participle agrees with a plural count (« 5 atteints »).
_AGREEING = {"atteint": "atteints", "non commencé": "non commencés"}


def status_count(count: int, status: str) -> str:
    """« 1 atteint », « 5 atteints », « 3 en retard »."""
    return fmt.plural(count, status, _AGREEING.get(status, status))


def progress_reading(rows: pd.DataFrame) -> str:
    counts = rows["status"].value_counts()
    parts = [status_count(counts[s], s) for s in reversed(STATUSES) if s in counts]
    text = f"{fmt.plural(len(rows), 'objectif')} : " + ", ".join(parts) + "."
    late = rows[rows["status"] == "en retard"]
    if not late.empty:
        worst = late.sort_values("lag").iloc[0]
        text += f" Le plus en retard : {worst['label']} ({progress_text(worst['progress'])})."
    return text


def territory_bars(rows: pd.DataFrame, title: str) -> go.Figure:
    """A target's progress in each territory, coloured by status."""
    data = rows.iloc[::-1]
    pct = (data["progress"].fillna(0) * 100).clip(upper=200)
    fig = go.Figure(
        go.Bar(
            x=pct,
            y=data["territory_name"],
            orientation="h",
            marker_color=[STATUS_COLOURS.get(s, PALETTE[-1]) for s in data["status"]],
            text=[progress_text(p) for p in data["progress"]],
            textposition="auto",
            customdata=[
                [fmt.number(a), fmt.number(t), s, r]
                for a, t, s, r in zip(
                    data["achieved"],
                    data["target_share"],
                    data["status"],
                    data["share_rule"],
                    strict=True,
                )
            ],
            hovertemplate="%{y} : %{customdata[0]} sur %{customdata[1]} – %{customdata[2]}"
            "<br>Objectif : %{customdata[3]}<extra></extra>",
        )
    )
    fig.add_vline(x=100, line_dash="dash", line_color="#444")
    expected = data["elapsed"].dropna()
    if not expected.empty:
        fig.add_vline(
            x=float(expected.iloc[0]) * 100,
            line_dash="dot",
            line_color="#222",
            annotation_text="attendu à ce jour",
            annotation_position="top",
        )
    fig.update_xaxes(ticksuffix=f"{fmt.NBSP}%", title=None)
    return base_layout(fig, title, height=max(260, 90 + 24 * len(data)))


def territory_reading(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "Aucun territoire."
    ordered = rows.sort_values("progress")
    low, high = ordered.iloc[0], ordered.iloc[-1]
    reached = int((rows["status"] == "atteint").sum())
    return (
        f"{fmt.number(reached)} territoire{'s' if reached > 1 else ''} sur {len(rows)} "
        f"ont atteint leur part ; de {progress_text(low['progress'])} ({low['territory_name']}) "
        f"à {progress_text(high['progress'])} ({high['territory_name']})."
    )


def trajectory(row, today: date) -> go.Figure:
    """Cumulative achievement at the end of each month against the straight line from the
    programme start (0) to the end date (the target); the target alone without an end date."""
    monthly = pd.DataFrame(list(row.monthly), columns=["month", "achieved"])
    fig = go.Figure()
    if not pd.isna(row.start_date) and not pd.isna(row.end_date):
        fig.add_scatter(
            x=[row.start_date, row.end_date],
            y=[0, row.target_share],
            mode="lines",
            name="Trajectoire vers l'objectif (ligne droite)",
            line={"color": "#555", "dash": "dash"},
            hovertemplate="%{x|%d/%m/%Y} : %{y:,.0f}<extra>trajectoire</extra>",
        )
    else:
        fig.add_hline(
            y=row.target_share,
            line_dash="dash",
            line_color="#555",
            annotation_text="objectif (sans échéance)",
            annotation_position="top left",
        )
    if not monthly.empty:
        # Each month's cumulative total stands at the end of the month.
        points_x = [pd.Timestamp(m) + pd.offsets.MonthEnd(0) for m in monthly["month"]]
        points_y = list(monthly["achieved"])
        if not pd.isna(row.start_date) and pd.Timestamp(row.start_date) < points_x[0]:
            points_x, points_y = [pd.Timestamp(row.start_date), *points_x], [0, *points_y]
        fig.add_scatter(
            x=points_x,
            y=points_y,
            mode="lines+markers",
            name="Réalisé cumulé",
            line={"color": STATUS_COLOURS.get(row.status, PALETTE[0]), "width": 3},
            hovertemplate="fin %{x|%m/%Y} : %{y:,.0f}<extra>réalisé cumulé</extra>",
        )
    last = max(
        [pd.Timestamp(d) for d in (row.end_date, *monthly["month"]) if not pd.isna(d)],
        default=None,
    )
    if last is not None and pd.Timestamp(today) <= last + pd.DateOffset(months=3):
        fig.add_vline(x=pd.Timestamp(today).timestamp() * 1000, line_dash="dot", line_color="#999")
    span = [pd.Timestamp(d) for d in (row.start_date, row.end_date, last) if not pd.isna(d)]
    short = len(span) > 1 and (max(span) - min(span)).days < 120
    fig.update_xaxes(tickformat="%d/%m/%Y" if short else "%m/%Y", title=None)
    fig.update_yaxes(tickformat=",.0f", title=row.unit, rangemode="tozero")
    return base_layout(fig, _wrap(target_title(row), 90), height=420)


def trajectory_reading(row) -> str:
    text = (
        f"{fmt.number(row.achieved)} {row.unit} sur {fmt.number(row.target_share)} "
        f"({progress_text(row.progress)}), {row.status}"
    )
    if not pd.isna(row.elapsed):
        text += f" ; la ligne droite en attendait {fmt.percent(row.elapsed)} à ce jour"
    return text + "."


METHOD = """
**Réalisé.** Quantités distribuées (restreintes au type d'aide, au public et à l'opérateur de
l'objectif quand il les précise), euros versés (du financeur de l'objectif s'il est précisé),
projets financés (une ligne de financement par projet) ou postes de conseillers numériques,
sous les filtres choisis (programmes, période, données de démonstration).

**Statut, à la date du jour.** La *ligne droite* va de 0 au début du programme jusqu'à
l'objectif à l'échéance ; sans échéance annoncée, la fin du programme sert d'échéance.
- **atteint** : réalisé ≥ objectif ;
- **non commencé** : rien n'est enregistré (réalisé nul), quelle que soit l'échéance ;
- **en cours** : des réalisations, mais ni échéance ni fin de programme : avancement seul ;
- **en bonne voie** : réalisé ≥ objectif × part du temps écoulé entre le début et l'échéance ;
- **en retard** : en dessous de cette ligne droite.

**Reste à faire** : objectif moins réalisé (jamais négatif). **Rythme nécessaire** : reste à
faire divisé par le nombre de mois (30,44 jours) jusqu'à l'échéance ; vide une fois
l'échéance passée, l'objectif atteint, ou sans échéance.

**Les plus en retard d'abord** : tri par statut (en retard, non commencé, en cours, en bonne
voie, atteint), puis par écart à la ligne droite (avancement moins part du temps écoulé).

**Part d'un territoire.** Un objectif explicite d'un EPT ou d'une commune (même programme,
indicateur, type d'aide, public, opérateur et financeur) l'emporte. Sinon, le territoire
reçoit une part de l'objectif de l'échelon au-dessus (son EPT s'il en a un, sinon le
département) : ce qui reste une fois retirés les objectifs explicites, réparti au prorata de
la population municipale 2023 des territoires sans objectif propre. Un objectif propre à une
seule commune ne concerne que cette commune. Avec un filtre de territoire, l'objectif
affiché est la part du territoire choisi (somme des parts des communes choisies).

**Argent.** Les financements accordés à l'échelle du département ne sont attribués à aucun
territoire : avec un filtre de territoire, ils sont indiqués à part (« non ventilés ») et
ne comptent pas dans le réalisé. Les sommes versées à un EPT comptent pour l'EPT, pas pour
ses communes.

**Secret des petits effectifs.** Sauf pour les utilisateurs internes, le réalisé d'un objectif
qui compte des personnes vient des tableaux protégés : il porte sur des mois entiers, et il
est masqué (« < 5 », ou « secret » quand il protège un autre chiffre) dès qu'il pourrait
révéler un petit effectif, même par différence avec d'autres chiffres publiés ; son
avancement, son reste à faire, son rythme et son statut sont alors masqués aussi.
"""
