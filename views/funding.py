"""Financements: who paid for what, where, and what it cost."""

import streamlit as st

from observatoire import protected, warehouse
from observatoire.charts import funding as charts
from observatoire.url_state import LEVELS, FundingChoices
from webapp import ui, url_state

STORE = "funding_choices"

filters = ui.current_filters()
url_state.restore(FundingChoices, STORE)
st.title("Financements")
ui.page_caption(filters)

summary = warehouse.funding_summary(filters)
# For a lecteur, the costs' counts of people come from the protected tables.
costs, people = protected.funding_costs(filters)
ui.demo_notice(bool(summary["has_demo"] or costs["has_demo"].any()))
if not summary["lines"]:
    st.info("Aucun financement ne correspond aux filtres choisis.")
    ui.source_line(filters)
    st.stop()
ui.metric_row(charts.key_figures(summary, filters.has_territory))
if filters.has_territory:
    st.caption(
        "Avec un filtre de territoire, seuls les financements attribués au territoire sont "
        "comptés : les financements départementaux ne sont pas répartis entre les communes."
    )
with st.expander("Méthode"):
    st.markdown(charts.METHOD)

st.subheader("Par financeur")
by_funder = warehouse.funding_by_funder(filters)
table, formats = charts.funder_table(by_funder)
ui.chart(
    charts.funder_bars(by_funder),
    key="funding_funders",
    title="Financements par financeur",
    data=table,
    reading=charts.funder_reading(by_funder),
    uses=("funding",),
)
ui.table_with_downloads(table, "financements-par-financeur", key="funders", formats=formats)

st.subheader("Par programme et dispositif")
by_programme = warehouse.funding_by_programme(filters)
table, formats = charts.programme_table(by_programme)
ui.chart(
    charts.scheme_bars(by_programme),
    key="funding_schemes",
    title="Financements par programme et dispositif",
    data=table,
    reading=charts.scheme_reading(by_programme),
    uses=("funding",),
)
ui.table_with_downloads(table, "financements-par-programme", key="programmes", formats=formats)

st.subheader("Des financeurs aux territoires")
flows = warehouse.funding_flows(filters)
ui.chart(
    charts.sankey(flows),
    key="funding_sankey",
    title="Des financeurs aux territoires",
    data=flows,
    reading=charts.sankey_reading(flows),
    uses=("funding",),
)
st.caption(
    "Financeur → programme → "
    + ("commune" if filters.has_territory else "EPT")
    + ". Les financements non attribués à un territoire restent sur leur propre nœud gris "
    "(« non ventilé »)."
)

st.subheader("Par territoire")
left, right = st.columns([1, 3])
level = left.segmented_control(
    "Échelon",
    list(LEVELS)[::-1],  # EPT first on this page
    format_func=LEVELS.get,
    key="niveau",
    required=True,
)
allocate = right.toggle(
    "Répartir les financements non ventilés au prorata de la population",
    key="repartir",
    help="Ajoute, à part, la part de chaque territoire des financements départementaux (et, "
    "pour une commune, de ceux de son EPT) au prorata de la population municipale 2023.",
)
url_state.publish(FundingChoices.from_widgets(st.session_state), STORE)
by_territory = warehouse.funding_by_territory(filters, level)
table, formats = charts.territory_table(by_territory, allocate)
title = f"Financements par habitant – {'EPT' if level == 'ept' else 'communes'}"
ui.chart(
    charts.territory_bars(by_territory, allocate, title),
    key="funding_territories",
    title=title,
    data=table,
    reading=charts.territory_reading(by_territory),
    uses=("funding",),
)
if allocate:
    st.caption(
        "Répartition conventionnelle, pas un versement : part d'un territoire = financements "
        "départementaux × sa population ÷ population du département ; pour une commune, "
        "s'y ajoutent les financements de son EPT × sa population ÷ population de l'EPT."
    )
ui.table_with_downloads(table, f"financements-par-{level}", key="territories", formats=formats)

st.subheader("Coûts")
if costs.empty:
    st.info("Aucun programme n'a à la fois des financements et des réalisations sous ces filtres.")
else:
    table, formats = charts.cost_table(costs)
    if note := protected.months_note(filters, people):
        st.caption(note)
    ui.table_with_downloads(table, "couts-par-programme", key="costs", formats=formats)
    st.caption(
        "Par programme, quand les financements et les réalisations sont tous deux connus "
        "(voir « Méthode »)."
    )

ui.source_line(filters)
