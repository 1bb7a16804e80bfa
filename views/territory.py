"""The territory sheet (« Fiche territoire », the page): one commune or EPT (?code=93048) — key
figures beside its EPT and the département, progress per target, what was distributed and
funded, its needs and places of digital mediation, and the records. Its content comes from
observatoire/territory.py, which the one-page PDF fiche (observatoire/fiche/) shares."""

from datetime import date
from functools import partial

import streamlit as st

from observatoire import disclosure, fmt, protected, sheet, sources, territory, warehouse
from observatoire.charts import masked as masked_charts
from observatoire.charts import need as need_charts
from observatoire.fiche import content as fiche_content
from observatoire.fiche import render as fiche_pdf
from observatoire.url_state import SheetChoice
from webapp import ui, url_state

filters = ui.current_filters()
communes = warehouse.territories()
names = {
    **{e: f"EPT {n}" for e, n in zip(communes["ept_code"], communes["ept_name"], strict=True)},
    **dict(zip(communes["code"], communes["name"] + " (commune)", strict=True)),
}
url_state.restore(SheetChoice, "sheet_choice", names)
code = st.selectbox(
    "Territoire",
    list(names),
    format_func=names.get,
    key="t_code",
    placeholder="Choisir une commune ou un EPT",
)
url_state.publish(SheetChoice(code=code), "sheet_choice")
if code is None:
    st.title("Fiche territoire")
    st.info("Choisissez une commune ou un EPT ci-dessus, ou cliquez sur la carte.")
    st.page_link("views/map.py", label="Ouvrir la carte", icon=":material/map:")
    st.stop()

place = territory.scope(code, filters, communes)
is_ept, scoped = place.is_ept, place.scoped
ept_name = place.ept_name
st.title(place.name)
ui.page_caption(filters, place.kind_text + place.population_text)
links, download = st.columns([3, 1])
links.page_link("views/map.py", label="Retour à la carte", icon=":material/map:")
# One A4 page to print, built only when clicked (the page itself stays as fast).
download.download_button(
    "Fiche PDF (A4)",
    data=ui.in_this_run(partial(fiche_pdf.build, code, filters, base_url=st.context.url)),
    file_name=fiche_content.file_name(code, place.name),
    mime="application/pdf",
    icon=":material/picture_as_pdf:",
    key="sheet_fiche_pdf",
    on_click="ignore",
    help="Une page A4 à imprimer ou à distribuer : chiffres clés comparés à l'EPT et au "
    "département, carte de situation, objectifs, financements, sous les filtres choisis, "
    "petits effectifs masqués comme à l'écran.",
)

figures = territory.key_figures(place)
ui.demo_notice(figures["has_demo"])
if note := disclosure.public_note():
    st.caption(note)
if note := protected.dates_note(filters):
    st.caption(note)
ui.metric_row(
    [
        (
            label,
            territory.figure_text(figures, key),
            territory.DEPARTEMENT_WIDE_NOTE if key == "euros_committed" else None,
        )
        for key, label in territory.KEY_FIGURES
    ]
)
compared = territory.compared(place, figures, place.short_name)
st.subheader("Comparaison")
table = sheet.comparison_table(compared)
ui.table_with_downloads(
    table, f"comparaison-{code}", key="sheet_compare", formats=sheet.comparison_formats(table)
)

st.subheader("Avancement des objectifs")
_, headline, rules = territory.headline_targets(place)
if headline.empty:
    st.info("Aucun objectif ne concerne ce territoire sous les filtres choisis.")
else:
    st.caption(f"Part du territoire dans chaque objectif : {rules}.")
    figure, exported, reading = masked_charts.masked_progress_chart(headline)
    ui.chart(
        figure,
        key="sheet_targets",
        scope=scoped,
        title="Avancement des objectifs",
        data=exported[list(sheet.PROGRESS_COLUMNS)],
        reading=reading,
    )

left, right = st.columns(2)
by_item, items_data, _ = protected.distributions_by_item(scoped, figures["has_demo"])
months, months_data = sheet.programme_months_split(protected.programme_months(scoped))
funders = territory.funders(place)
if by_item.empty:
    left.info("Aucune distribution enregistrée pour ce territoire.")
else:
    figure, reading = masked_charts.items_chart(by_item, items_data)
    with left:
        ui.chart(
            figure,
            key="sheet_items",
            scope=scoped,
            title="Quantités distribuées par type d'aide",
            data=items_data,
            reading=reading,
            uses=("distributions",),
        )
    with right:
        ui.chart(
            masked_charts.annotate_masked(
                sheet.programme_months_bars(months, "Distributions mensuelles par programme"),
                months,
                "quantity",
            ),
            key="sheet_months",
            scope=scoped,
            title="Distributions mensuelles par programme",
            data=months_data,
            reading=disclosure.reading_of_masked(
                sheet.programme_months_reading, months, "quantity"
            ),
            uses=("distributions",),
        )
if not funders.empty:
    ui.chart(
        sheet.funders_bars(funders, "Euros engagés par financeur"),
        key="sheet_funders",
        scope=scoped,
        title="Euros engagés par financeur",
        data=funders,
        reading=sheet.funders_reading(funders),
        uses=("funding",),
    )

st.subheader("Besoins")
needs = territory.needs(place)
if needs.own.empty:
    st.info("Aucun indicateur de besoin n'est chargé pour ce territoire.")
else:
    sheet_name = place.name
    st.caption(sheet.NEED_METHOD)
    needs_table = sheet.needs_table(
        (sheet_name, needs.own),
        None if is_ept else (f"EPT {ept_name}", needs.ept),
        needs.departement,
    )
    ui.table_with_downloads(
        needs_table,
        f"besoins-{code}",
        key="sheet_needs",
        formats=sheet.needs_formats(needs_table),
    )
    scores = sheet.subscores(needs.own, needs.ept, needs.departement)
    if not scores.empty:
        title = "Sous-scores de l'indice de fragilité numérique (0 à 10, 10 = plus fragile)"
        ui.chart(
            need_charts.subscore_bars(scores, title, sheet_name),
            key="sheet_subscores",
            scope=scoped,
            title=title,
            data=scores.drop(columns="indicator"),
            reading=need_charts.subscores_reading(scores, sheet_name),
            source=sources.indicator_source(
                needs.departement[needs.departement["indicator"].isin(scores["indicator"])]
            ),
        )
st.markdown("**Lieux de médiation numérique**")
today = date.today()
places = territory.places(place, sheet.state_limits(today))
st.caption(sheet.places_caption(places))
if places["places"]:
    ui.table_with_downloads(
        sheet.places_table(warehouse.territory_places(scoped, limit=sheet.PLACES_SHOWN), today),
        f"lieux-{code}",
        key="sheet_places",
        formats=sheet.PLACES_FORMATS,
        max_rows=sheet.PLACES_SHOWN,
        total_rows=int(places["places"]),
        all_rows=lambda: sheet.places_table(warehouse.territory_places(scoped), today),
    )


def _labelled(records):
    """The records with the items' French names (« Cartes SIM », not « carte_sim »)."""
    records = records.copy()
    distributions = records["Type"] == "Distribution"
    records.loc[distributions, "Objet"] = records.loc[distributions, "Objet"].map(fmt.item_label)
    return records


st.subheader("Les enregistrements")
if note := territory.records_note():
    # A lecteur gets no record with its quantities: the protected monthly figures instead.
    st.caption(note)
    ui.table_with_downloads(
        sheet.months_table(months_data),
        f"quantites-mensuelles-{code}",
        key="sheet_months_table",
        formats=sheet.MONTHS_FORMATS,
    )
else:  # an interne: the records themselves, exact
    # Counted from the summaries; only the newest records are read for the screen, and all of
    # them only when a download is clicked (a large commune has hundreds of thousands).
    counts = warehouse.territory_record_counts(scoped)
    kinds = st.multiselect("Type", sorted(counts["Type"].unique()), placeholder="Tous les types")
    programmes = st.multiselect(
        "Programme", sorted(counts["Programme"].unique()), placeholder="Tous les programmes"
    )
    chosen = counts[
        counts["Type"].isin(kinds or counts["Type"])
        & counts["Programme"].isin(programmes or counts["Programme"])
    ]
    total = int(chosen["records"].sum())
    every = fmt.number(int(counts["records"].sum()))
    st.caption(f"{fmt.plural(total, 'enregistrement')} sur {every}.")
    narrowed = (scoped, tuple(kinds), tuple(programmes))
    ui.table_with_downloads(
        _labelled(warehouse.territory_records(*narrowed, limit=sheet.RECORDS_SHOWN)),
        f"enregistrements-{code}",
        key="sheet_records",
        formats=sheet.RECORDS_FORMATS,
        max_rows=sheet.RECORDS_SHOWN,
        total_rows=total,
        all_rows=lambda: _labelled(warehouse.territory_records(*narrowed)),
    )
ui.source_line(scoped)
ui.press_kit_button("fiche territoire")
