"""Carte : where help reached and where it lags, commune by commune or EPT by EPT; a click
(or the chooser below the map) opens the territory sheet. Every choice lives in the URL."""

import streamlit as st

from observatoire import exports, fmt, ui, warehouse
from observatoire.classify import MAX_CLASSES, METHODS, MIN_CLASSES
from observatoire.map import choices as map_choices
from observatoire.map import figure as map_figure
from observatoire.map import reading as map_reading
from observatoire.map import shapes as map_shapes

MapChoices = map_choices.MapChoices
state = st.session_state


def _open(code: str | None) -> None:
    if code:
        state["_open_territory"] = code


# Choices: from the URL on arrival, else as last left on this page; then the widgets.
if any(k in st.query_params for k in MapChoices.QUERY_KEYS.values()) and "m_level" not in state:
    state["map_choices"] = MapChoices.from_query(st.query_params.to_dict())
for widget, value in state.get("map_choices", MapChoices()).widget_state().items():
    state.setdefault(widget, value)

filters = ui.current_filters()
st.title("Carte")
st.caption(ui.scope_caption(filters))
top = st.columns([1.1, 1.6, 2.0, 1.4])
level = top[0].segmented_control(
    "Niveau",
    list(map_choices.LEVELS),
    format_func=map_choices.LEVELS.get,
    required=True,
    key="m_level",
)
indicator = top[1].selectbox(
    "Indicateur",
    list(map_choices.INDICATORS),
    format_func=map_choices.INDICATORS.get,
    key="m_indicator",
)
target = None
if indicator == "quantite":
    top[2].selectbox(
        "Objet",
        [MapChoices.ALL, *fmt.ITEM_LABELS],
        key="m_item",
        format_func=lambda i: "Tous les équipements" if i == MapChoices.ALL else fmt.item_label(i),
    )
elif indicator == "euros":
    funders = [MapChoices.ALL, *warehouse.map_funders(filters)["funder"]]
    if state["m_funder"] not in funders:
        state["m_funder"] = MapChoices.ALL
    top[2].selectbox(
        "Financeur",
        funders,
        key="m_funder",
        format_func=lambda f: "Tous les financeurs" if f == MapChoices.ALL else f,
    )
elif indicator == "objectif":
    progress = warehouse.target_territory_progress(filters, level)
    options = map_choices.target_options(progress)
    if not options:
        st.info("Aucun objectif ne correspond aux filtres choisis.")
        st.stop()
    if state.get("m_target") not in options:
        state["m_target"] = next(iter(options))
    top[2].selectbox("Objectif", list(options), format_func=options.get, key="m_target")
if indicator == "objectif":
    top[3].markdown("**Normalisation**  \n% de la part de l'objectif du territoire")
else:
    top[3].radio(
        "Normalisation",
        ["brut", "habitants"],
        format_func=map_choices.NORMALISATIONS.get,
        horizontal=True,
        key="m_norm",
    )
low = st.columns([1.6, 2.4, 2.4])
method = low[0].selectbox("Classes", list(METHODS), format_func=METHODS.get, key="m_method")
if method == "manuel":
    low[1].text_input(
        "Seuils (séparés par des points-virgules)",
        key="m_thresholds",
        placeholder="25 ; 50 ; 100 (en %)" if indicator == "objectif" else "100 ; 500 ; 1 000",
    )
else:
    low[1].slider("Nombre de classes", MIN_CLASSES, MAX_CLASSES, key="m_classes")

choices = MapChoices.from_widgets(state)
state["map_choices"] = choices
wanted = choices.to_query()
for name in MapChoices.QUERY_KEYS.values():
    if name in wanted and st.query_params.get(name) != wanted[name]:
        st.query_params[name] = wanted[name]
    elif name not in wanted and name in st.query_params:
        del st.query_params[name]

try:
    if indicator == "objectif":
        family = progress[progress.apply(map_choices.target_key, axis=1) == choices.key].iloc[0]
        records = warehouse.map_values(
            filters, level, map_choices.TARGET_MEASURE[family["indicator"]]
        )
        view = map_choices.prepare(
            map_choices.progress_values(progress, choices.key, records),
            choices,
            target_label=family["label"],
            target_unit=family["unit"],
            target_indicator=family["indicator"],
        )
    else:
        view = map_choices.prepare(
            warehouse.map_values(filters, level, indicator, choices.key), choices
        )
except ValueError as error:  # unreadable manual thresholds
    st.error(str(error))
    st.stop()

ui.demo_notice(bool(view.table["has_demo"].any()))
shapes, outlines, labels, schematic = map_shapes.shapes_for(
    warehouse.map_boundaries(level),
    warehouse.map_boundaries("ept"),
    view.table,
    level,
    warehouse.territories(),
)
if schematic:
    st.info(
        "**Carte schématique** : une case par commune, placée comme sur le territoire et "
        "groupée par EPT. Pour les contours officiels, lancez une fois "
        "« python -m etl boundaries » (ou « python -m etl boundaries --from FICHIER » "
        "sans accès à internet)."
    )
for note in map_reading.notes(view, warehouse.key_figures(filters)):
    st.caption(note)
figure = map_figure.territory_map(view, shapes, outlines, labels=labels, schematic=schematic)
figures = map_reading.display_table(view)
reading = map_reading.main_reading(view)
ui.chart(
    figure,
    key="map_chart",
    title=figure.layout.title.text,
    data=figures,
    reading=reading,
    theme=None,
    selection_mode="points",
    on_select=lambda: _open(map_figure.selected_code(state["map_chart"])),
)
st.markdown(f"**Lecture** : {reading}")
st.caption("Survolez un territoire pour ses chiffres ; cliquez dessus pour ouvrir sa fiche.")

with st.expander("Les chiffres de la carte (tableau triable)", expanded=True):
    ui.table_with_downloads(
        figures, exports.slug(view.title), key="map_table", formats=map_reading.table_formats(view)
    )
territories = view.table.set_index("code")["name"].to_dict()
st.selectbox(
    "Ouvrir la fiche d'un territoire",
    list(territories),
    index=None,
    format_func=territories.get,
    placeholder="Choisir une commune" if level == "commune" else "Choisir un EPT",
    key="map_open_choice",
    on_change=lambda: _open(state["map_open_choice"]),
)
if opened := state.pop("_open_territory", None):
    ui.switch_page("views/territory.py", {"code": opened})
ui.source_line(filters)
ui.press_kit_button("carte")
