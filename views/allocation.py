"""Répartir une enveloppe (issue #23): where should the next tablets, conseiller posts or euros
go? The envelope, the rule, a floor and a ceiling per commune and the exclusions; every rule
side by side (chart, map of the chosen rule, table, reading sentence). The territory is the
sidebar's; every choice lives in the URL (observatoire/allocation.py: AllotChoices)."""

from functools import partial

import streamlit as st

from observatoire import allocation, exports, fmt, mdsafe, protected, warehouse
from observatoire import disclosure as secrecy
from observatoire.charts import allocation as allot_charts
from observatoire.fiche import content as fiche_content
from observatoire.fiche import render as fiche_pdf
from observatoire.map import figure as map_figure
from observatoire.map import shapes as map_shapes
from webapp import ui, url_state

AllotChoices = allocation.AllotChoices
state = st.session_state

filters = ui.current_filters()
st.title("Répartir une enveloppe")
ui.page_caption(filters)  # the territory, then the programmes and period the help counts
catalogue = warehouse.need_indicators(filters.include_demo)
indicators = catalogue.set_index("id")
ids = list(indicators.index)
communes = warehouse.allocation_need(filters, ids[0] if ids else allocation.DEFAULT_INDICATOR)
names = dict(zip(communes["code"], communes["name"], strict=True))

# Choices: from the URL on arrival, else as last left on this page; then the widgets.
url_state.restore(AllotChoices, "allot_choices", ids, list(names))
# Values the warehouse or the sidebar's territory no longer hold (a widget would refuse them).
url_state.keep_known("a_indicator", ids, AllotChoices().checked(ids).indicator)
state["a_excluded"] = [code for code in state.get("a_excluded") or [] if code in names]

top = st.columns([2.2, 1.6, 1.4])
measure = top[0].selectbox(
    "Enveloppe", list(allocation.MEASURES), format_func=allocation.MEASURES.get, key="a_measure"
)
if measure == "quantite":
    top[1].selectbox("Type d'aide", list(fmt.ITEM_LABELS), format_func=fmt.item_label, key="a_item")
top[2].number_input(
    {"euros": "Euros", "postes": "Postes"}.get(measure, "Quantité"),
    min_value=1,
    max_value=allocation.MAX_AMOUNT,
    step=1,
    key="a_amount",
)
rules = st.columns([2.2, 1.6, 1.4])
rule = rules[0].selectbox(
    "Règle", list(allocation.RULES), format_func=allocation.RULES.get, key="a_rule"
)
if ids:
    rules[1].selectbox(
        "Besoin",
        ids,
        format_func=lambda i: f"{indicators.at[i, 'label']} ({indicators.at[i, 'grp']})",
        key="a_indicator",
    )
rules[2].number_input(
    "Niveau de rattrapage (pour 1 000 hab.)",
    min_value=0.0,
    step=1.0,
    key="a_level",
    placeholder="médiane",
    help="Aide pour 1 000 habitants que le rattrapage vise ; vide : la médiane des communes.",
)
if rule == "melange":
    mix = st.columns([1.6, 1.6, 2])
    labels = {r: allocation.RULES[r] for r in allocation.BASE_RULES}
    mix[0].selectbox("Première règle", list(labels), format_func=labels.get, key="a_mix_first")
    mix[1].selectbox("Seconde règle", list(labels), format_func=labels.get, key="a_mix_second")
    mix[2].slider("Poids de la première règle (%)", 0, 100, step=5, key="a_weight")
    if state["a_mix_first"] == state["a_mix_second"]:
        st.warning(
            "Choisissez deux règles différentes : en attendant, le mélange reprend les "
            "règles par défaut (prorata de la population et rattrapage)."
        )
with st.expander("Plancher, plafond et communes exclues"):
    bounds = st.columns(2)
    bounds[0].number_input(
        "Plancher par commune", min_value=0, max_value=allocation.MAX_AMOUNT, step=1, key="a_floor"
    )
    bounds[1].number_input(
        "Plafond par commune",
        min_value=0,
        max_value=allocation.MAX_AMOUNT,
        step=1,
        key="a_ceiling",
        placeholder="aucun",
    )
    st.multiselect(
        "Communes exclues",
        list(names),
        format_func=names.get,
        key="a_excluded",
        placeholder="Aucune",
    )

choices = AllotChoices.from_widgets(state, ids, list(names))
url_state.publish(choices, "allot_choices")

need = warehouse.allocation_need(filters, choices.indicator)
item = choices.item if choices.measure == "quantite" else None
help_values = protected.map_values(filters, "commune", choices.measure, item)
table = allocation.inputs_table(
    help_values, need, allocation.protected_forms(filters, help_values, choices.measure, item)
)
comparison = allocation.compare(table, choices)
units = comparison.units
ui.demo_notice(bool(table["has_demo"].any() or need["need_is_demo"].any()))

# What the figures are made of, and what a lecteur cannot see.
if "mask_text" in help_values and (
    note := protected.months_note(filters, help_values.attrs.get("months"))
):
    st.caption(note)
masked = table[table["masked"]]
if not masked.empty:
    st.caption(
        f"Aide actuelle masquée (petit effectif) pour {fmt.plural(len(masked), 'commune')} "
        f"({', '.join(masked['name'])}) : le rattrapage utilise sa forme protégée — ce que le "
        "total publié de son EPT (ou du département) laisse une fois ses communes publiées "
        "retirées, réparti entre les communes masquées au prorata de la population — et la "
        "laisse hors de la médiane ; son aide pour 1 000 habitants, avant et après, reste "
        f"« {secrecy.DERIVED_LABEL} »."
    )
if choices.measure == "euros":
    st.caption(
        "Aide actuelle : euros attribués à chaque commune ; ceux d'un EPT ou du Département "
        "sans commune ne comptent pour aucune."
    )
if not ids:
    st.caption("Aucun indicateur de besoin n'est chargé : le prorata du besoin ne donne rien.")
elif need["need"].isna().any():
    missing = need.loc[need["need"].isna(), "name"]
    st.caption(
        f"Sans valeur de besoin : {', '.join(missing)} (rien au prorata du besoin ; besoin moyen "
        "pour le rattrapage)."
    )
if not comparison.ok:
    st.error(comparison.errors[choices.rule])
    st.stop()
for other, why in comparison.errors.items():
    st.caption(f"{allocation.RULES[other]} : {why}")

reading = allocation.reading(comparison)
st.markdown(f"**Lecture** : {fmt.md(reading)}")
with st.container(border=True):
    for sentence in allocation.method_sentences(choices):
        st.markdown(sentence)
    level_source = "choisi" if choices.level is not None else "médiane des communes retenues"
    st.caption(
        f"{allocation.ROUNDING} Niveau de rattrapage : {fmt.number(comparison.level, 1)} "
        f"{units.plural} pour 1 000 habitants ({level_source})."
    )

meta = indicators.loc[choices.indicator] if ids else None
need_label = "Besoin" if meta is None else f"Besoin ({meta['label']})"
figures = allocation.display_table(comparison, need_label)
method = f"Méthode ({choices.rule_label()}) : {allocation.METHODS[choices.rule]}"
source = f"{ui.source_text(filters)} {method}"
envelope = units.count(choices.amount)
title = "Part de chaque commune, par règle"
ui.chart(
    allot_charts.rules_chart(comparison, title),
    key="allot_rules",
    title=title,
    data=figures,
    reading=allot_charts.rules_reading(comparison),
    source=source,
    theme=None,
)

view = allot_charts.share_map_view(comparison, f"Part proposée : {envelope}")
shapes, outlines, labels, schematic = map_shapes.shapes_for(
    warehouse.map_boundaries("commune"),
    warehouse.map_boundaries("ept"),
    view.table,
    "commune",
    warehouse.territories(),
)
share_map = allot_charts.share_map(view, shapes, outlines, labels, schematic)
ui.chart(
    share_map,
    key="allot_map",
    title=view.title,
    data=figures,
    reading=reading,
    source=source,
    export_fig=map_figure.with_names(share_map),
    theme=None,
)
if not schematic:
    st.caption(map_figure.CONTOURS_ATTRIBUTION)

st.subheader("Commune par commune")
ui.table_with_downloads(
    figures,
    exports.slug(f"repartition {envelope} {choices.rule}"),
    key="allot_table",
    formats=allocation.table_formats(comparison, need_label),
)
if meta is not None:
    st.caption(mdsafe.as_text(f"Besoin : {meta['label']} — {meta['source']}."))  # file text
ui.source_line(filters)

kept = comparison.table.loc[~comparison.table["excluded"], "code"]
if not kept.empty:
    st.subheader("Part proposée dans une fiche PDF")
    pick, download = st.columns([2, 1], vertical_alignment="bottom")
    url_state.keep_known("a_fiche", list(kept))
    code = pick.selectbox("Commune", list(kept), format_func=names.get, key="a_fiche")
    proposed = fiche_content.ProposedShare(
        **allocation.proposed_share(comparison, code), link=ui.view_link()
    )
    download.download_button(
        "Fiche PDF avec la part proposée",
        data=ui.in_this_run(
            partial(fiche_pdf.build, code, filters, base_url=st.context.url, proposed=proposed)
        ),
        file_name=fiche_content.file_name(code, names[code]),
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key="allot_fiche_pdf",
        on_click="ignore",
    )
ui.press_kit_button("répartir une enveloppe")
