"""Vue d'ensemble: key figures, progress towards the main targets, what was distributed."""

import streamlit as st

from observatoire import charts, disclosure, fmt, warehouse
from observatoire.charts import masked as masked_charts
from webapp import ui

filters = ui.current_filters()
st.title("Vue d'ensemble")
st.caption(ui.scope_caption(filters))

figures = warehouse.key_figures(filters)
ui.demo_notice(figures["has_demo"])
# Small counts of people are masked as on the territory sheet (public mode): a commune and
# programme filter must not show here what the sheet hides.
if note := disclosure.public_note():
    st.caption(note)
people_per_thousand = disclosure.derived_text(
    figures["people_reached"],
    fmt.number(1000 * figures["people_reached"] / figures["population"], 1)
    if figures["population"]
    else "–",
)

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
            disclosure.figure_text(figures, "items_distributed"),
            "Tablettes, ordinateurs, smartphones, cartes SIM et recharges.",
        ),
        (
            "Personnes touchées",
            disclosure.figure_text(figures, "people_reached"),
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
            people_per_thousand,
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
    figure, exported, reading = masked_charts.masked_progress_chart(headline)
    ui.chart(
        figure,
        key="overview_targets",
        title="Avancement des principaux objectifs",
        data=exported[
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
        reading=reading,
    )

left, right = st.columns(2)
by_item = warehouse.distributions_by_item(filters)
by_month, months_data = disclosure.mask_people(
    warehouse.distributions_by_month(filters), "quantity", by="item"
)
if by_item.empty:
    st.info("Aucune distribution ne correspond aux filtres choisis.")
else:
    figure, items_data, reading = masked_charts.masked_items_chart(by_item)
    with left:
        ui.chart(
            figure,
            key="overview_items",
            title="Quantités distribuées par type d'aide",
            data=items_data,
            reading=reading,
        )
    with right:
        ui.chart(
            masked_charts.annotate_masked(charts.monthly_area(by_month), by_month, "quantity"),
            key="overview_months",
            title="Distributions mensuelles par type d'aide",
            data=months_data,
            reading=disclosure.reading_of_masked(charts.monthly_reading, by_month, "quantity"),
        )

ui.source_line(filters)
ui.press_kit_button("vue d'ensemble")
