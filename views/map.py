"""Carte : where help reached and where it lags, commune by commune or EPT by EPT, beside the
published indicators of need (IFN…) and the places of digital mediation; a click (or the
chooser below the map) opens the territory sheet. Every choice lives in the URL."""

from datetime import date

import streamlit as st

from observatoire import exports, fmt, mdsafe, protected, sources, warehouse
from observatoire.classify import MAX_CLASSES, METHODS, MIN_CLASSES
from observatoire.map import choices as map_choices
from observatoire.map import figure as map_figure
from observatoire.map import places as map_places
from observatoire.map import reading as map_reading
from observatoire.map import shapes as map_shapes
from observatoire.url_state import LEVELS, SheetChoice
from webapp import ui, url_state

MapChoices = map_choices.MapChoices
state = st.session_state


def _open(code: str | None) -> None:
    if code:
        state["_open_territory"] = code


filters = ui.current_filters()
catalogue = map_choices.need_catalogue(warehouse.need_indicators(filters.include_demo))
place_options = warehouse.place_options(filters)

# Choices: from the URL on arrival, else as last left on this page; then the widgets.
url_state.restore(MapChoices, "map_choices", catalogue)

st.title("Carte")
ui.page_caption(filters)
top = st.columns([1.1, 1.6, 2.0, 1.4])
level = top[0].segmented_control(
    "Niveau",
    list(LEVELS),
    format_func=LEVELS.get,
    required=True,
    key="m_level",
)
indicators = [i for i in map_choices.INDICATORS if i != "besoin" or catalogue]
indicator = top[1].selectbox(
    "Indicateur",
    indicators,
    format_func=map_choices.INDICATORS.get,
    placeholder="Choisir",
    key="m_indicator",
)
target = None
if indicator == "quantite":
    top[2].selectbox(
        "Objet",
        [MapChoices.ALL, *fmt.ITEM_LABELS],
        placeholder="Choisir",
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
        placeholder="Choisir",
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
    top[2].selectbox(
        "Objectif", list(options), format_func=options.get, placeholder="Choisir", key="m_target"
    )
elif indicator == "besoin":
    # Grouped: « Fragilité numérique » (the IFN and its sub-scores) first, then each group.
    needs = [k for ids in map_choices.need_groups(catalogue).values() for k in ids]
    if state.get("m_need") not in needs:
        state["m_need"] = (
            map_choices.NEED_DEFAULT if map_choices.NEED_DEFAULT in needs else needs[0]
        )
    top[2].selectbox(
        "Indicateur publié",
        needs,
        format_func=lambda k: f"{catalogue[k].grp} — {catalogue[k].label}",
        placeholder="Choisir",
        key="m_need",
    )
provisional = MapChoices.from_widgets(state, catalogue)
# A score has its own scale: its default classes cut it in equal intervals. The method goes
# back to the indicator's default when that default changes (score ↔ count).
if state.get("_m_default_method", provisional.default_method) != provisional.default_method:
    state["m_method"] = provisional.default_method
state["_m_default_method"] = provisional.default_method
if indicator == "objectif":
    top[3].markdown("**Normalisation**  \n% de la part de l'objectif du territoire")
elif provisional.normalisations == ["brut"]:
    top[3].markdown(
        "**Normalisation**  \nValeur publiée (un score ou un taux ne se rapporte pas aux habitants)"
    )
else:
    if state.get("m_norm") not in provisional.normalisations:
        state["m_norm"] = provisional.normalisations[0]
    top[3].radio(
        "Normalisation",
        provisional.normalisations,
        format_func=map_choices.NORMALISATIONS.get,
        horizontal=True,
        key="m_norm",
    )
low = st.columns([1.6, 2.4, 2.4])


def _method_label(method: str) -> str:
    if method == "egal" and provisional.scale is not None:
        low_end, high_end = (fmt.number(v) for v in provisional.scale)
        return f"Intervalles égaux sur l'échelle ({low_end} à {high_end})"
    return METHODS[method]


method = low[0].selectbox(
    "Classes", list(METHODS), format_func=_method_label, placeholder="Choisir", key="m_method"
)
if method == "manuel":
    low[1].text_input(
        "Seuils (séparés par des points-virgules)",
        key="m_thresholds",
        placeholder="25 ; 50 ; 100 (en %)" if indicator == "objectif" else "100 ; 500 ; 1 000",
    )
else:
    low[1].slider("Nombre de classes", MIN_CLASSES, MAX_CLASSES, key="m_classes")
low[2].toggle(
    "Noms des communes",
    key="m_names",
    help="Écrits sur les contours officiels ; toujours présents dans les images exportées.",
)

# The places of digital mediation: a layer over any map, and filters shared with the
# « Lieux de médiation numérique » indicator.
programme_options = list(place_options.loc[place_options["kind"] == "programme", "value"])
service_options = list(place_options.loc[place_options["kind"] == "service", "value"])
for widget, known in (
    ("m_place_programmes", programme_options),
    ("m_place_services", service_options),
):
    state[widget] = [v for v in state.get(widget, []) if v in known]
places_row = st.columns([1.6, 2.4, 2.4])
places_row[0].toggle("Lieux de médiation numérique", key="m_places", disabled=not programme_options)
if state["m_places"] or indicator == "lieux":
    places_row[1].multiselect(
        "Dispositifs nationaux des lieux",
        programme_options,
        key="m_place_programmes",
        placeholder="Tous les dispositifs",
    )
    places_row[2].multiselect(
        "Services des lieux",
        service_options,
        key="m_place_services",
        placeholder="Tous les services",
    )

choices = MapChoices.from_widgets(state, catalogue)
url_state.publish(choices, "map_choices")

try:
    if indicator == "objectif":
        family = progress[progress.apply(map_choices.target_key, axis=1) == choices.key].iloc[0]
        records = protected.map_values(
            filters, level, map_choices.TARGET_MEASURE[family["indicator"]]
        )
        values = map_choices.progress_values(progress, choices.key, records)
        view = map_choices.prepare(
            protected.target_values(values, family, filters, level),
            choices,
            target_label=family["label"],
            target_unit=family["unit"],
            target_indicator=family["indicator"],
        )
    elif indicator == "besoin":
        view = map_choices.prepare(warehouse.need_values(filters, level, choices.key), choices)
    elif indicator == "lieux":
        counts = warehouse.place_counts(
            filters, level, choices.place_programmes, choices.place_services
        )
        view = map_choices.prepare(counts, choices)
    else:
        view = map_choices.prepare(
            protected.map_values(filters, level, indicator, choices.key), choices
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
places = None
if choices.places and schematic:
    st.info(
        "Les lieux de médiation numérique ne peuvent pas être placés sur la carte schématique "
        "(ses cases ne sont pas à leur position réelle) : chargez les contours officiels pour "
        "les voir."
    )
elif choices.places and shapes:
    places = warehouse.map_places(
        filters, map_places.bounds_of(shapes), choices.place_programmes, choices.place_services
    )
if months := protected.months_note(filters, view.months):
    st.caption(months)
for note in map_reading.notes(view, warehouse.key_figures(filters)):
    st.caption(mdsafe.as_text(note))  # indicator labels and sources come from files
figure = map_figure.territory_map(
    view,
    shapes,
    outlines,
    labels=labels,
    schematic=schematic,
    names=dict(zip(view.table["code"], view.table["name"], strict=True)),
    show_names=choices.names,
    places=places,
    today=date.today(),
)
figures = map_reading.display_table(view)
reading = map_reading.main_reading(view)
places_source = None
if choices.places or indicator == "lieux":
    places_source = map_reading.places_source_text(warehouse.place_sources(filters))
records_source = ui.source_text(filters, sources.measure_records(indicator))
source = map_reading.source_text(view, records_source, places_source)
ui.chart(
    figure,
    key="map_chart",
    title=figure.layout.title.text,
    data=figures,
    reading=reading,
    source=source,
    export_fig=map_figure.with_names(figure),
    theme=None,
    selection_mode="points",
    on_select=lambda: _open(map_figure.selected_code(state["map_chart"])),
)
st.caption(mdsafe.as_text(source))  # file labels are text, never Markdown
if not schematic:
    st.caption(map_figure.CONTOURS_ATTRIBUTION)
if choices.places or indicator == "lieux":
    totals = warehouse.place_totals(filters, choices.place_programmes, choices.place_services)
    drawn = 0 if places is None else len(places)
    words = fmt.plural(totals["places"], "lieu", "lieux")
    text = f"{words} de médiation numérique sous ces choix"
    if places is not None:
        text += f", {fmt.number(drawn)} sur la carte"
    if totals["unplaced"]:
        text += f" ; {fmt.plural(totals['unplaced'], 'lieu', 'lieux')} sans coordonnées, non " + (
            "placé" if totals["unplaced"] == 1 else "placés"
        )
    st.caption(
        text + ". Un losange signale un lieu à vérifier (mis à jour il y a plus de 12 "
        "mois), une croix un lieu à actualiser (plus de 18 mois)."
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
    ui.switch_page("views/territory.py", SheetChoice(code=opened).to_query())
ui.press_kit_button("carte")
