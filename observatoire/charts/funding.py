"""Figures and tables of the « Financements » page: who paid for what, where. Pure functions
of the small frames of the warehouse.funding_* queries, testable without Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from observatoire import disclosure, fmt
from observatoire.charts import PALETTE, _wrap, base_layout, series_marker

FUNDER_TYPES = ["État", "Département", "CAF", "EPT", "Commune", "Partenaire privé"]
FUNDER_TYPE_COLOURS = dict(zip(FUNDER_TYPES, PALETTE, strict=False))
NOT_SPREAD_COLOUR = "#8c8c8c"
PROGRAMME_COLOUR = "#56B4E9"
TERRITORY_COLOUR = "#009E73"


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def key_figures(summary: dict, territorial: bool) -> list[tuple[str, str, str]]:
    """(label, value, help) for the page's row of key figures."""
    population = summary["population"]
    figures = [
        (
            "Financements engagés",
            fmt.money(summary["total"]),
            f"{fmt.plural(summary['lines'], 'ligne')} de financement, "
            f"{fmt.plural(summary['funders'], 'financeur')}.",
        ),
        (
            "Par habitant",
            fmt.money(summary["total"] / population, 2) if population else "–",
            "Financements engagés divisés par la population municipale 2023 du territoire.",
        ),
        (
            "Attribués aux communes",
            fmt.money(summary["to_communes"]),
            "Financements dont la commune bénéficiaire est connue.",
        ),
        (
            "Attribués aux EPT",
            fmt.money(summary["to_epts"]),
            "Financements versés à un EPT, sans commune précisée : non ventilés entre ses "
            "communes.",
        ),
    ]
    if territorial:
        figures.append(
            (
                "Échelle départementale",
                "–",
                "Les financements accordés à l'échelle du département ne sont attribués à "
                "aucun territoire : ils ne sont pas comptés avec un filtre de territoire.",
            )
        )
    else:
        figures.append(
            (
                "Échelle départementale",
                fmt.money(summary["departement_wide"]),
                "Financements accordés à l'échelle du département : jamais répartis entre "
                "les communes.",
            )
        )
    return figures


def funder_bars(by_funder: pd.DataFrame, title: str = "Financements par financeur") -> go.Figure:
    data = by_funder.iloc[::-1]
    fig = go.Figure()
    for funder_type in FUNDER_TYPES:
        rows = data[data["funder_type"] == funder_type]
        if rows.empty:
            continue
        fig.add_bar(
            x=rows["amount"],
            y=rows["funder"],
            orientation="h",
            name=funder_type,
            marker_color=FUNDER_TYPE_COLOURS[funder_type],
            text=[fmt.money(v) for v in rows["amount"]],
            textposition="auto",
            customdata=[
                [fmt.percent(s), fmt.money(p, 2)]
                for s, p in zip(rows["share"], rows["per_inhabitant"], strict=True)
            ],
            hovertemplate="%{y} : %{x:,.0f} € (%{customdata[0]}, %{customdata[1]} par "
            "habitant)<extra></extra>",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=list(data["funder"]))
    fig.update_xaxes(tickformat=",.0f", ticksuffix=f"{fmt.NBSP}€", title=None, nticks=6)
    return base_layout(fig, title, height=max(280, 110 + 32 * len(data)))


def funder_reading(by_funder: pd.DataFrame) -> str:
    if by_funder.empty:
        return "Aucun financement."
    top = by_funder.iloc[0]
    return (
        f"{top['funder']} apporte {fmt.money(top['amount'])}, soit {fmt.percent(top['share'])} "
        f"des {fmt.money(by_funder['amount'].sum())} engagés par "
        f"{fmt.plural(len(by_funder), 'financeur')}."
    )


def funder_table(by_funder: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    table = pd.DataFrame(
        {
            "Financeur": by_funder["funder"],
            "Type": by_funder["funder_type"],
            "Montant (€)": by_funder["amount"],
            "Part du total": by_funder["share"],
            "Par habitant (€)": by_funder["per_inhabitant"],
            "Dont échelle départementale (€)": by_funder["departement_wide"],
            "Programmes": by_funder["programmes"],
            "Lignes": by_funder["lines"],
        }
    )
    return (
        table,
        {
            "Montant (€)": fmt.money,
            "Part du total": lambda v: fmt.percent(v, 1),  # 15 000 € of 5,4 M€ is not « 0 % »
            "Par habitant (€)": lambda v: fmt.money(v, 2),
            "Dont échelle départementale (€)": fmt.money,
            "Programmes": fmt.number,
            "Lignes": fmt.number,
        },
    )


def scheme_bars(
    by_programme: pd.DataFrame, title: str = "Financements par programme et dispositif"
) -> go.Figure:
    """One bar per programme, split by scheme."""
    order = list(dict.fromkeys(by_programme["programme_name"]))[::-1]
    fig = go.Figure()
    for i, (scheme, rows) in enumerate(by_programme.groupby("scheme", sort=False)):
        fig.add_bar(
            x=rows["amount"],
            y=[_wrap(name, 45) for name in rows["programme_name"]],
            orientation="h",
            name=scheme,
            marker=series_marker(i),
            hovertemplate=f"{scheme}<br>%{{y}} : %{{x:,.0f}} €<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(categoryorder="array", categoryarray=[_wrap(name, 45) for name in order])
    fig.update_xaxes(tickformat=",.0f", ticksuffix=f"{fmt.NBSP}€", title=None, nticks=6)
    schemes = by_programme["scheme"].nunique()
    return base_layout(fig, title, height=max(320, 140 + 42 * len(order) + 22 * schemes))


def scheme_reading(by_programme: pd.DataFrame) -> str:
    if by_programme.empty:
        return "Aucun financement."
    schemes = by_programme.groupby("scheme")["amount"].sum().sort_values(ascending=False)
    return (
        f"{fmt.plural(by_programme['programme_id'].nunique(), 'programme')} financé"
        f"{'s' if by_programme['programme_id'].nunique() > 1 else ''} ; premier dispositif : "
        f"{schemes.index[0]} ({fmt.money(schemes.iloc[0])})."
    )


def programme_table(by_programme: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    table = pd.DataFrame(
        {
            "Programme": by_programme["programme_name"],
            "Dispositif": by_programme["scheme"],
            "Financeurs": by_programme["funders"],
            "Montant (€)": by_programme["amount"],
            "Total du programme (€)": by_programme["programme_amount"],
            "Lignes": by_programme["lines"],
        }
    )
    return (
        table,
        {"Montant (€)": fmt.money, "Total du programme (€)": fmt.money, "Lignes": fmt.number},
    )


def sankey(flows: pd.DataFrame, title: str = "Des financeurs aux territoires") -> go.Figure:
    """Funder → programme → territory. Nodes are keyed by their column, so that a funder and
    a territory of the same name stay apart; money not spread keeps its own grey node."""
    stage1, stage2 = flows[flows["stage"] == 1], flows[flows["stage"] == 2]
    funders = list(dict.fromkeys(stage1["source"]))
    programmes = list(dict.fromkeys([*stage1["target"], *stage2["source"]]))
    territories = list(dict.fromkeys(stage2["target"]))
    keys = (
        [("funder", n) for n in funders]
        + [("programme", n) for n in programmes]
        + [("territory", n) for n in territories]
    )
    index = {key: i for i, key in enumerate(keys)}
    funder_types = dict(zip(stage1["source"], stage1["source_type"], strict=False))
    colours = (
        [FUNDER_TYPE_COLOURS.get(funder_types.get(n), PALETTE[-1]) for n in funders]
        + [PROGRAMME_COLOUR] * len(programmes)
        + [NOT_SPREAD_COLOUR if "non ventilé" in n else TERRITORY_COLOUR for n in territories]
    )
    sources = [index[("funder", s)] for s in stage1["source"]] + [
        index[("programme", s)] for s in stage2["source"]
    ]
    targets = [index[("programme", t)] for t in stage1["target"]] + [
        index[("territory", t)] for t in stage2["target"]
    ]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=f"{fmt.NBSP}€",
            node={
                "label": [name for _, name in keys],
                "color": colours,
                "pad": 18,
                "thickness": 16,
                "line": {"width": 0},
            },
            link={
                "source": sources,
                "target": targets,
                "value": list(flows["amount"]),
                "color": [_rgba(colours[s], 0.35) for s in sources],
            },
        )
    )
    height = max(480, 44 * max(len(funders), len(programmes), len(territories)) + 120)
    return base_layout(fig, title, height=height)


def sankey_reading(flows: pd.DataFrame) -> str:
    stage2 = flows[flows["stage"] == 2]
    if stage2.empty:
        return "Aucun financement."
    by_territory = stage2.groupby("target")["amount"].sum().sort_values(ascending=False)
    return (
        f"{fmt.money(stage2['amount'].sum())} de "
        f"{fmt.plural(flows[flows['stage'] == 1]['source'].nunique(), 'financeur')} ; "
        f"premier destinataire : {by_territory.index[0]} ({fmt.money(by_territory.iloc[0])})."
    )


def territory_bars(by_territory: pd.DataFrame, allocate: bool, title: str) -> go.Figure:
    """Euros per inhabitant of each territory; with `allocate`, the pro rata shares of the
    money not attributed to it stacked on top, hatched, so they are never taken for money
    given to the territory."""
    data = by_territory.sort_values("per_inhabitant")
    fig = go.Figure()
    fig.add_bar(
        x=data["per_inhabitant"],
        y=data["name"],
        orientation="h",
        name="Attribués au territoire",
        marker_color=TERRITORY_COLOUR,
        hovertemplate="%{y} : %{x:,.2f} € par habitant<extra>attribués</extra>",
    )
    if allocate:
        parts = [("departement_not_allocated", "Part des financements départementaux")]
        if data["ept_not_allocated"].notna().any():
            parts.insert(0, ("ept_not_allocated", "Part des financements de l'EPT"))
        for (column, name), colour in zip(parts, [PALETTE[1], NOT_SPREAD_COLOUR], strict=False):
            fig.add_bar(
                x=data[column] / data["population"],
                y=data["name"],
                orientation="h",
                name=f"{name} (prorata de la population)",
                marker={"color": colour, "pattern": {"shape": "/"}},
                hovertemplate=f"%{{y}} : %{{x:,.2f}} € par habitant<extra>{name}</extra>",
            )
        fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat=",.2f", ticksuffix=f"{fmt.NBSP}€", title="€ par habitant")
    return base_layout(fig, title, height=max(300, 120 + 22 * len(data)))


def territory_reading(by_territory: pd.DataFrame) -> str:
    if by_territory.empty:
        return "Aucun territoire."
    ordered = by_territory.sort_values("per_inhabitant")
    low, high = ordered.iloc[0], ordered.iloc[-1]
    return (
        f"De {fmt.money(low['per_inhabitant'], 2)} par habitant ({low['name']}) à "
        f"{fmt.money(high['per_inhabitant'], 2)} ({high['name']}), pour les financements "
        "attribués au territoire."
    )


def territory_table(by_territory: pd.DataFrame, allocate: bool) -> tuple[pd.DataFrame, dict]:
    table = pd.DataFrame(
        {
            "Territoire": by_territory["name"],
            "Code": by_territory["code"],
            "EPT": by_territory["ept_name"],
            "Population": by_territory["population"],
            "Attribués au territoire (€)": by_territory["amount"],
            "Par habitant (€)": by_territory["per_inhabitant"],
        }
    )
    if (by_territory["code"] == by_territory["ept_code"]).all():
        table = table.drop(columns=["EPT"])
    if allocate:
        if by_territory["ept_not_allocated"].notna().any():
            table["Part des financements de l'EPT (€, prorata)"] = by_territory["ept_not_allocated"]
        table["Part des financements départementaux (€, prorata)"] = by_territory[
            "departement_not_allocated"
        ]
        parts = ["Attribués au territoire (€)", *table.filter(like="(€, prorata)").columns]
        table["Total avec répartition (€)"] = table[parts].sum(axis=1)
        table["Total avec répartition par habitant (€)"] = (
            table["Total avec répartition (€)"] / table["Population"]
        )
    formats = {
        "Population": fmt.number,
        "Par habitant (€)": lambda v: fmt.money(v, 2),
        "Total avec répartition par habitant (€)": lambda v: fmt.money(v, 2),
    }
    formats |= {c: fmt.money for c in table.columns if "(€" in c and c not in formats}
    return table, formats


def cost_table(costs: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    table = pd.DataFrame(
        {
            "Programme": costs["programme_name"],
            "Financements (€)": costs["euros"],
            "Équipements distribués": costs["items"],
            "Personnes touchées": costs["people"],
            "Postes de conseillers": costs["posts"],
            "€ par équipement": costs["euros_per_item"],
            "€ par personne touchée": costs["euros_per_person"],
            "€ par poste": costs["euros_per_post"],
        }
    )
    table = _hide_protected(table, costs)
    return (
        table,
        {
            "Financements (€)": fmt.money,
            "Équipements distribués": fmt.number,
            "Personnes touchées": fmt.number,
            "Postes de conseillers": fmt.number,
            "€ par équipement": fmt.money,
            "€ par personne touchée": fmt.money,
            "€ par poste": fmt.money,
        },
    )


def _hide_protected(table: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """The cost table with the hidden counts of people of protected costs
    (observatoire/protected.funding_costs: items_status, people_status) as their label
    (« < 5 », « secret ») and the euros per item or per person derived from them « masqué »;
    marked as the costs are (exports refuse exact counts for a lecteur)."""
    table.attrs = dict(costs.attrs)
    pairs = (
        ("items_status", "Équipements distribués", "€ par équipement"),
        ("people_status", "Personnes touchées", "€ par personne touchée"),
    )
    for status, count, derived in pairs:
        if status not in costs.columns:
            continue
        labels = pd.Series(
            [
                disclosure.status_text(s, real_only=not demo)
                for s, demo in zip(costs[status], costs["has_demo"], strict=True)
            ],
            index=table.index,
            dtype=object,
        )
        hidden = labels.notna()
        if hidden.any():
            table[[count, derived]] = table[[count, derived]].astype(object)
            table.loc[hidden, count] = labels[hidden]
            table.loc[hidden, derived] = disclosure.DERIVED_LABEL
    return table


METHOD = """
**Financeurs.** Le type de financeur (État, Département, CAF, EPT, Commune, Partenaire
privé) se lit sur son nom : « EPT … » est un EPT, « Commune de … » ou « Ville de … » une
commune ; les fondations, entreprises et associations sont des partenaires privés.

**Où va l'argent.** Une ligne de financement est attribuée à une commune quand la commune
est connue, à un EPT quand seul l'EPT l'est, sinon à l'échelle départementale. Les
financements départementaux ne sont **jamais répartis en silence** entre les communes : ils
restent sur leur propre ligne (« Échelle départementale (non ventilé) ») et ne comptent pas
avec un filtre de territoire. De même, l'argent versé à un EPT compte pour l'EPT, pas pour
ses communes.

**Répartition sur demande.** Dans la vue par territoire, l'option « Répartir les
financements non ventilés » ajoute, à part et hachurée, la part de chaque territoire au
prorata de sa population municipale 2023 : financements départementaux × population du
territoire ÷ population du département ; pour une commune, financements de son EPT ×
population de la commune ÷ population de l'EPT. Cette part est une convention de calcul,
pas un versement.

**Euros par habitant** : montant divisé par la population municipale 2023 du territoire
(de la sélection pour les financeurs).

**Coûts.** Pour chaque programme où les deux côtés existent : financements ÷ équipements
distribués (hors accompagnements), ÷ personnes touchées (hors recharges de données : une
personne qui a reçu deux équipements compte deux fois), ÷ postes de conseillers numériques.
Avec un filtre de territoire, seuls les financements attribués au territoire comptent.
"""
