"""Aide et besoins : does help go where the need is? For every commune (or EPT), the help per
1 000 inhabitants against a need indicator, the two medians and the « communes
prioritaires ». Every choice lives in the URL (niveau, aide, detail, besoin)."""

import streamlit as st

from observatoire import disclosure, exports, fmt, mdsafe, protected, sources, warehouse
from observatoire import need as need_view
from observatoire.charts import need as need_charts
from observatoire.url_state import LEVELS
from webapp import ui, url_state

NeedChoices = need_view.NeedChoices
state = st.session_state

filters = ui.current_filters()
st.title("Aide et besoins")
ui.page_caption(filters)
catalogue = warehouse.need_indicators(filters.include_demo)
if catalogue.empty:
    st.info(
        "Aucun indicateur de besoin n'est chargé : chargez l'indice de fragilité numérique "
        "ou un autre indicateur depuis la page « Données »."
    )
    st.stop()
indicators = catalogue.set_index("id")
ids = list(indicators.index)

# Choices: from the URL on arrival, else as last left on this page; then the widgets.
url_state.restore(NeedChoices, "need_choices", ids)
url_state.keep_known("n_indicator", ids, NeedChoices().checked(ids).indicator)

top = st.columns([1.4, 1.8, 1.8, 2.6])
level = top[0].segmented_control(
    "Niveau", list(LEVELS), format_func=LEVELS.get, required=True, key="n_level"
)
measure = top[1].selectbox(
    "Aide",
    list(need_view.HELP_MEASURES),
    format_func=need_view.HELP_MEASURES.get,
    placeholder="Choisir",
    key="n_measure",
)
if measure == "quantite":
    top[2].selectbox(
        "Objet",
        [need_view.ALL, *fmt.ITEM_LABELS],
        placeholder="Choisir",
        key="n_item",
        format_func=lambda i: "Tous les équipements" if i == need_view.ALL else fmt.item_label(i),
    )
elif measure == "euros":
    funders = [need_view.ALL, *warehouse.map_funders(filters)["funder"]]
    if state.get("n_funder") not in funders:
        state["n_funder"] = need_view.ALL
    top[2].selectbox(
        "Financeur",
        funders,
        placeholder="Choisir",
        key="n_funder",
        format_func=lambda f: "Tous les financeurs" if f == need_view.ALL else f,
    )
top[3].selectbox(
    "Besoin",
    ids,
    format_func=lambda i: f"{indicators.at[i, 'label']} ({indicators.at[i, 'grp']})",
    placeholder="Choisir",
    key="n_indicator",
)

choices = NeedChoices.from_widgets(state, ids)
url_state.publish(choices, "need_choices")

meta = indicators.loc[choices.indicator]
need_label = meta["label"] + (" pour 1 000 habitants" if meta["measure"] == "effectif" else "")
# Every territory is placed, the chosen ones highlighted among them (need_view.scope_of).
help_values = protected.map_values(
    need_view.whole(filters, choices.level), choices.level, choices.measure, choices.key
)
scope, chosen = need_view.scope_of(filters, choices.level, warehouse.territories())
need_values = warehouse.need_by_territory(choices.level, choices.indicator, filters.include_demo)
table = need_view.scatter_table(
    help_values, need_values, people=disclosure.counts_people(choices.measure)
)
view = need_view.analyse(
    table,
    level=choices.level,
    direction=meta["direction"],
    need_label=need_label,
    help_label=need_view.help_label(choices),
    need_decimals=1 if meta["unit"] != "nombre" else 0,
    scope=scope,
    chosen=chosen,
)

ui.demo_notice(bool(table["has_demo"].any()))
apart = (
    " ; un territoire dont l'aide est masquée n'est pas placé sur le graphique et ne compte "
    "pas dans les médianes"
)
if "mask_text" in need_values:  # a count of people as need (Aidants Connect), protected
    apart += " ; de même pour un besoin masqué"
if "mask_text" in help_values or "mask_text" in need_values:  # from the protected tables
    for note in (
        protected.months_note(filters, help_values.attrs.get("months")),
        disclosure.protected_note(apart),
    ):
        if note:
            st.caption(note)
elif note := disclosure.public_note(apart):
    st.caption(note)
where = "par commune" if choices.level == "commune" else "par EPT"
title = f"{view.help_label} et {meta['label'].lower()}, {where}"
reading = need_view.main_reading(view)
figures = need_view.display_table(view)
ui.chart(
    need_charts.need_scatter(view, title),
    key="need_chart",
    title=title,
    data=figures,
    reading=reading,
    source=ui.source_text(filters, sources.measure_records(choices.measure))
    + " ; "
    + need_view.need_source(meta).rstrip("."),
    theme=None,
)
st.markdown(f"**Lecture** : {fmt.md(reading)}")
if scale := need_view.scale_note(view):
    st.caption(scale)
st.caption(
    "Médianes des territoires placés sur le graphique : la moitié d'entre eux est au-dessus, "
    "l'autre en dessous. "
    + (
        "Niveau EPT : le besoin d'un EPT est la moyenne de ses communes pondérée par leur "
        "population."
        if choices.level == "ept"
        else ""
    )
)

word = "Communes prioritaires" if choices.level == "commune" else "EPT prioritaires"
st.subheader(word)
st.caption(need_view.priority_rule(view))
priority = need_view.priority_table(view)
if priority.empty:
    st.info("Aucun territoire ne combine un besoin au-delà de la médiane et une aide en deçà.")
else:
    ui.table_with_downloads(
        priority,
        exports.slug(f"{word} {choices.indicator}"),
        key="need_priority",
        formats=need_view.table_formats(view),
    )
with st.expander("Tous les territoires (tableau triable)"):
    ui.table_with_downloads(
        figures, exports.slug(title), key="need_table", formats=need_view.table_formats(view)
    )
st.caption(mdsafe.as_text(need_view.need_source(meta)))  # file labels are text
ui.source_line(filters)
ui.press_kit_button("aide et besoins")
