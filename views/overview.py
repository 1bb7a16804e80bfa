"""Vue d'ensemble: key figures, progress towards the main targets, what was distributed."""

import streamlit as st

from observatoire import charts, disclosure, fmt, protected
from observatoire.charts import masked as masked_charts
from webapp import ui

filters = ui.current_filters()
st.title("Vue d'ensemble")
ui.page_caption(filters)

# For a lecteur the counts of people come from the protected tables (observatoire/protected.py).
figures, people = protected.key_figures(filters)
ui.demo_notice(figures["has_demo"])
if note := disclosure.protected_note():
    st.caption(note)
if note := protected.months_note(filters, people):
    st.caption(note)

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
            protected.figure_text(figures, "items_distributed", filters),
            "Tablettes, ordinateurs, smartphones, cartes SIM et recharges.",
        ),
        (
            "Personnes touchées",
            protected.figure_text(figures, "people_reached", filters),
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
            protected.per_thousand_text(figures),
            "Personnes touchées pour 1 000 habitants (population municipale 2023).",
        ),
    ]
)

st.subheader("Avancement des principaux objectifs")
progress, _ = protected.target_progress(filters)
headline = progress[progress["headline"] & (progress["indicator"] != "montant")]
if headline.empty:
    st.info("Aucun objectif ne correspond aux filtres choisis.")
else:
    if filters.has_territory:
        rules = ", ".join(sorted(set(headline["share_rule"].dropna())))
        st.caption(f"Part du territoire choisi dans chaque objectif : {rules}.")
    figure, exported, reading = masked_charts.protected_progress_chart(
        headline, *protected.achieved_texts(headline)
    )
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
by_item, items_data, _ = protected.distributions_by_item(filters, figures["has_demo"])
by_month, months_data, _ = protected.distributions_by_month(filters, figures["has_demo"])
if by_item.empty:
    st.info("Aucune distribution ne correspond aux filtres choisis.")
else:
    figure, reading = masked_charts.items_chart(by_item, items_data)
    with left:
        ui.chart(
            figure,
            key="overview_items",
            title="Quantités distribuées par type d'aide",
            data=items_data,
            reading=reading,
            uses=("distributions",),
        )
    with right:
        ui.chart(
            masked_charts.annotate_masked(charts.monthly_area(by_month), by_month, "quantity"),
            key="overview_months",
            title="Distributions mensuelles par type d'aide",
            data=months_data,
            reading=disclosure.reading_of_masked(charts.monthly_reading, by_month, "quantity"),
            uses=("distributions",),
        )

ui.source_line(filters)
ui.press_kit_button("vue d'ensemble")
