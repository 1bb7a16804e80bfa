"""Vue d'ensemble: key figures, progress towards the main targets, what was distributed."""

import streamlit as st

from observatoire import charts, fmt, ui, warehouse
from observatoire.charts import targets as charts_targets

filters = ui.current_filters()
st.title("Vue d'ensemble")
st.caption(ui.scope_caption(filters))

figures = warehouse.key_figures(filters)
ui.demo_notice(figures["has_demo"])

euros_help = "Somme des financements enregistrés sous les filtres choisis."
if filters.has_territory:
    euros_help += (
        " Les financements accordés à l'échelle du département ne sont pas ventilés par "
        "territoire : ils ne sont pas comptés ici."
    )
elif figures["euros_departement_wide"]:
    euros_help += (
        f" Dont {fmt.money(figures['euros_departement_wide'])} à l'échelle départementale."
    )
ui.metric_row(
    [
        (
            "Équipements distribués",
            fmt.number(figures["items_distributed"]),
            "Tablettes, ordinateurs, smartphones, cartes SIM et recharges.",
        ),
        (
            "Personnes touchées",
            fmt.number(figures["people_reached"]),
            "Une personne par équipement remis ou accompagnement (hors recharges) : une "
            "personne qui a reçu deux équipements est comptée deux fois.",
        ),
        ("Euros engagés", fmt.money(figures["euros_committed"]), euros_help),
        (
            "Conseillers numériques",
            fmt.number(figures["conseiller_posts"]),
            "Postes de conseillers numériques pourvus (financés par l'État, France Relance).",
        ),
        (
            "Pour 1 000 habitants",
            fmt.number(1000 * figures["people_reached"] / figures["population"], 1)
            if figures["population"]
            else "–",
            "Personnes touchées pour 1 000 habitants (population municipale 2023).",
        ),
    ]
)

st.subheader("Avancement des principaux objectifs")
progress = warehouse.target_progress(filters)
headline = progress[progress["headline"] & (progress["indicator"] != "montant")]
if headline.empty:
    st.info("Aucun objectif ne correspond aux filtres choisis.")
else:
    if filters.has_territory:
        rules = ", ".join(sorted(set(headline["share_rule"].dropna())))
        st.caption(f"Part du territoire choisi dans chaque objectif : {rules}.")
    ui.chart(
        charts_targets.progress_bars(headline),
        key="overview_targets",
        title="Avancement des principaux objectifs",
        data=headline[
            [
                "programme_name",
                "label",
                "achieved",
                "target_share",
                "unit",
                "progress",
                "source_title",
            ]
        ],
        reading=charts_targets.progress_reading(headline),
    )

left, right = st.columns(2)
by_item = warehouse.distributions_by_item(filters)
by_month = warehouse.distributions_by_month(filters)
if by_item.empty:
    st.info("Aucune distribution ne correspond aux filtres choisis.")
else:
    with left:
        ui.chart(
            charts.items_bar(by_item),
            key="overview_items",
            title="Quantités distribuées par type d'aide",
            data=by_item,
            reading=charts.items_reading(by_item),
        )
    with right:
        ui.chart(
            charts.monthly_area(by_month),
            key="overview_months",
            title="Distributions mensuelles par type d'aide",
            data=by_month,
            reading=charts.monthly_reading(by_month),
        )

ui.source_line(filters)
ui.press_kit_button("vue d'ensemble")
