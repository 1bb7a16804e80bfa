"""Objectifs: where each programme stands against what was announced, by territory and over
time."""

from dataclasses import replace
from datetime import date

import streamlit as st

from observatoire import disclosure, fmt, protected
from observatoire.charts import masked as masked_charts
from observatoire.charts import targets as charts
from observatoire.url_state import LEVELS, TargetChoices
from webapp import ui, url_state

STORE = "target_choices"
state = st.session_state

filters = ui.current_filters()
choices = url_state.restore(TargetChoices, STORE)
today = date.today()
st.title("Objectifs")
ui.page_caption(filters)

progress = protected.target_rows(filters, today=today)
ui.demo_notice(bool(progress["has_demo"].any()))
if progress.empty:
    st.info("Aucun objectif ne correspond aux filtres choisis.")
    ui.source_line(filters)
    st.stop()

ui.metric_row(charts.status_counts(progress))
# Small counts of people are masked as on the map and the territory sheet (public mode).
if note := disclosure.public_note():
    st.caption(note)
if note := protected.dates_note(filters):
    st.caption(note)
if filters.has_territory:
    st.caption(
        "Objectifs rapportés au territoire choisi : objectif explicite du territoire, sinon "
        "part au prorata de la population (voir « Méthode »)."
    )
with st.expander("Méthode"):
    st.markdown(charts.METHOD)

st.subheader("Avancement de chaque objectif")
laggards = st.toggle("Les plus en retard d'abord", key="retard")
figure, exported, reading = masked_charts.masked_progress_chart(
    charts.sort_rows(progress, laggards, default=["target_row"])
)
table, formats = charts.progress_table(exported, filters.has_territory)
ui.chart(figure, key="targets_bars", title="Avancement des objectifs", data=table, reading=reading)
ui.table_with_downloads(
    table, "objectifs", key="targets_table", formats=formats, **ui.targets_table_layout(table)
)

st.subheader("Progression dans le temps")
labels = {row.target_row: charts.target_title(row) for row in progress.itertuples()}
url_state.keep_labelled("objectif", labels, choices.target)
chosen = st.selectbox(
    "Objectif", list(labels), format_func=labels.get, placeholder="Choisir", key="objectif"
)
row = protected.target_trajectory(
    filters, next(progress[progress["target_row"] == chosen].itertuples())
)
shown_row, monthly = masked_charts.mask_trajectory(row)
ui.chart(
    charts.trajectory(shown_row, today),
    key="targets_trajectory",
    title=charts.target_title(row),
    data=monthly,
    reading=masked_charts.trajectory_reading(row),
)
st.caption(f"Source de l'objectif : {fmt.md(charts.source_of(row))}.")

st.subheader("Par territoire")
left, right = st.columns([1, 3])
level = left.segmented_control(
    "Échelon",
    list(LEVELS)[::-1],  # EPT first on this page
    format_func=LEVELS.get,
    key="echelon",
    required=True,
)
breakdown = protected.target_territory_progress(filters, level, today=today)
families = breakdown.drop_duplicates("target_row")
family_labels = {row.target_row: charts.target_title(row) for row in families.itertuples()}
url_state.keep_labelled("reparti", family_labels, choices.family)
family = right.selectbox(
    "Objectif réparti",
    list(family_labels),
    format_func=family_labels.get,
    placeholder="Choisir",
    key="reparti",
)
url_state.publish(
    replace(
        TargetChoices.from_widgets(state),
        target=url_state.label_in_link(labels, chosen),
        family=url_state.label_in_link(family_labels, family),
    ),
    STORE,
)
title = f"{family_labels[family]} – par territoire"
figure, exported, reading = masked_charts.masked_territory_chart(
    charts.sort_rows(
        breakdown[breakdown["target_row"] == family], laggards, default=["territory_name"]
    ),
    title,
)
table, formats = charts.territory_table(exported)
ui.chart(figure, key="targets_territories", title=title, data=table, reading=reading)
ui.table_with_downloads(
    table,
    f"objectif-par-{level}",
    key="targets_territory_table",
    formats=formats,
    **ui.targets_table_layout(table),
)

ui.source_line(filters)
