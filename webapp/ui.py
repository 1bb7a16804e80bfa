"""Streamlit building blocks shared by the pages: global filters in the sidebar (kept in the
URL), the demonstration-data notice, source lines and downloadable tables."""

from __future__ import annotations

import contextvars
import json
import math
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from observatoire import charts, date_bounds, exports, fmt, mdsafe, warehouse
from observatoire.charts import targets as target_charts
from observatoire.filters import WHOLE_DEPARTEMENT, Filters
from observatoire.sources import RECORDS, source_text
from webapp import url_state

_STATE = "global_filters"

DEMO_NOTICE = (
    "**Données de démonstration** : les chiffres affichés incluent des enregistrements "
    "fictifs générés pour présenter l'outil. Décochez « Inclure les données de démonstration » "
    "dans le panneau latéral pour ne voir que les données réelles chargées."
)


def sidebar_filters() -> Filters:
    """Draw the global filters, mirror them in the query string, and return them."""
    if notice := date_bounds.notice_for_query(st.query_params.to_dict()):
        st.info(notice)  # the link asked for dates the inputs cannot hold: said, then clamped
    url_state.restore(Filters, _STATE)
    communes = warehouse.territories()
    programmes = warehouse.programme_list()
    epts = communes[["ept_code", "ept_name"]].drop_duplicates().sort_values("ept_name")
    ept_names = dict(zip(epts["ept_code"], epts["ept_name"], strict=True))
    commune_names = dict(zip(communes["code"], communes["name"], strict=True))
    programme_names = dict(zip(programmes["id"], programmes["name"], strict=True))

    # Drop stale values (an unknown code in a link, a commune outside the chosen EPT).
    if st.session_state["f_ept"] not in ept_names:
        st.session_state["f_ept"] = WHOLE_DEPARTEMENT
    ept = None if st.session_state["f_ept"] == WHOLE_DEPARTEMENT else st.session_state["f_ept"]
    allowed = communes if ept is None else communes[communes["ept_code"] == ept]
    st.session_state["f_communes"] = [
        c for c in st.session_state["f_communes"] if c in set(allowed["code"])
    ]
    st.session_state["f_programmes"] = [
        p for p in st.session_state["f_programmes"] if p in programme_names
    ]

    with st.sidebar:
        st.markdown("### Filtres")
        st.selectbox(
            "Territoire (EPT)",
            [WHOLE_DEPARTEMENT, *ept_names],
            placeholder="Choisir",
            key="f_ept",
            format_func=lambda c: ept_names.get(c, "Toute la Seine-Saint-Denis"),
        )
        st.multiselect(
            "Communes",
            list(allowed["code"]),
            key="f_communes",
            format_func=commune_names.get,
            placeholder="Toutes les communes",
        )
        st.multiselect(
            "Programmes",
            list(programme_names),
            key="f_programmes",
            format_func=programme_names.get,
            placeholder="Tous les programmes",
        )
        extent = warehouse.data_extent()
        first = _as_date(extent.get("first_date")) or date(2020, 1, 1)
        last = _as_date(extent.get("last_date")) or date.today()
        # One under the other: side by side, the sidebar's half width cut the date off.
        st.date_input(
            "Du",
            key="f_du",
            min_value=date_bounds.DATE_MIN,
            max_value=date_bounds.date_max(),
            format="DD/MM/YYYY",
        )
        st.date_input(
            "Au",
            key="f_au",
            min_value=date_bounds.DATE_MIN,
            max_value=date_bounds.date_max(),
            format="DD/MM/YYYY",
        )
        st.caption(f"Données du {fmt.french_date(first)} au {fmt.french_date(last)}.")
        st.toggle("Inclure les données de démonstration", key="f_demo")
        if warehouse.demo_superseded():
            st.toggle(
                "Additionner réel et démonstration",
                key="f_demo_reel",
                disabled=not st.session_state.get("f_demo", True),
                help="Des données réelles remplacent la démonstration du même type ; "
                "cochez pour les additionner quand même.",
            )

    filters = Filters.from_widgets(st.session_state)
    url_state.publish(filters, _STATE)
    if note := warehouse.demo_note(filters):
        st.info(note)  # real and demonstration records never add up unnoticed
    return filters


def _as_date(value) -> date | None:
    if value is None or pd.isna(value):
        return None
    return value.date() if hasattr(value, "date") else value


def current_filters() -> Filters:
    """The filters chosen in the sidebar (app.py draws them before the page runs)."""
    return st.session_state.get(_STATE) or Filters()


def scope_caption(filters: Filters) -> str:
    """'Est Ensemble · 9 communes · 447 969 habitants' for the selected territory."""
    communes = warehouse.territories()
    if filters.ept:
        communes = communes[communes["ept_code"] == filters.ept]
    if filters.communes:
        communes = communes[communes["code"].isin(filters.communes)]
    if filters.communes:
        name = ", ".join(communes["name"])
    elif filters.ept:
        name = f"EPT {communes['ept_name'].iloc[0]}"
    else:
        name = "Seine-Saint-Denis"
    count = fmt.plural(len(communes), "commune")
    return f"{name} · {count} · {fmt.number(communes['population'].sum())} habitants (2023)"


def selection_caption(filters: Filters) -> str:
    """'Tous les programmes · du 16/03/2020 au 15/12/2021': the programmes and the period
    shown (the dates chosen in the sidebar, else those the records cover)."""
    names = warehouse.programme_list().set_index("id")["name"].to_dict()
    chosen = [names.get(p, p) for p in filters.programmes]
    if not chosen:
        programmes = "Tous les programmes"
    else:
        programmes = ("Programme : " if len(chosen) == 1 else "Programmes : ") + ", ".join(chosen)
    extent = warehouse.data_extent()
    first = filters.date_from or _as_date(extent.get("first_date"))
    last = filters.date_to or _as_date(extent.get("last_date"))
    if first and last:
        period = f"du {fmt.french_date(first)} au {fmt.french_date(last)}"
    elif first:
        period = f"depuis le {fmt.french_date(first)}"
    elif last:
        period = f"jusqu'au {fmt.french_date(last)}"
    else:
        period = "aucune donnée datée"
    return f"{programmes} · {period}"


def page_caption(filters: Filters, scope: str | None = None) -> None:
    """Under a page's title: the territory (SCOPE, else scope_caption), then the programmes
    and the period shown, so that a screenshot or a printed page says what it covers."""
    st.caption(
        mdsafe.as_text(scope or scope_caption(filters))
        + "  \n"
        + mdsafe.as_text(selection_caption(filters))
    )


def demo_notice(has_demo: bool) -> None:
    """Say on screen that demonstration records are included (and remember it for exports)."""
    st.session_state["_page_has_demo"] = bool(has_demo)
    if has_demo:
        st.warning(DEMO_NOTICE, icon="⚠️")


def source_line(filters: Filters) -> None:
    st.caption(mdsafe.as_text(source_text(filters)))  # file labels: text, not Markdown


# Streamlit's own English labels, which no argument sets, and their French (webapp/page.js
# puts it in their place); the README lists those it cannot reach.
STREAMLIT_FRENCH = {
    "App pages": "Pages de l'application",
    "Sidebar": "Panneau latéral",
    "Collapse sidebar": "Fermer le panneau latéral",
    "Expand sidebar": "Ouvrir le panneau latéral",
    "Open": "Ouvrir",
    "Close": "Fermer",
    "Clear": "Effacer",
    "Clear all": "Tout effacer",
    "Select all": "Tout sélectionner",
    "No results": "Aucun résultat",
    "Choose an option": "Choisir",
    "Choose options": "Choisir",
    "Choose date": "Choisir une date",
    "Choose date range": "Choisir une période",
    "Use arrow keys to navigate dates. Enter to select. Escape to close.": (
        "Flèches pour changer de jour, Entrée pour choisir, Échap pour fermer."
    ),
    "Previous": "Précédent",
    "Next": "Suivant",
    "Empty": "Vide",
    "Link to heading": "Lien vers ce titre",
    "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Copy to clipboard": "Copier",
}
STREAMLIT_FRENCH_PREFIXES = [
    ("Help for ", "Aide : "),
    ("day, ", "jour, "),
    ("month, ", "mois, "),
    ("year, ", "année, "),
    ("Select ", "Sélectionner "),  # « Select 3 matches »
]
# Streamlit's own breakpoint: under it the sidebar covers the page.
NARROW_SCREEN_PX = 768
# Under this width the maps (Carte, Répartir une enveloppe) are smaller than the scale their
# names are placed for (observatoire/map/labels.py): they would pile up. A tap on a commune
# gives its name.
_NARROW_CSS = """<style>
@media (max-width: 760px) {
  .st-key-map_chart .infolayer .annotation,
  .st-key-allot_map .infolayer .annotation { display: none; }
  /* A table's toolbar (search, download, full screen) stays shown on a touch screen, above
     the table: room for it, rather than over the text before the table. */
  [data-testid="stDataFrame"] { margin-top: 2.25rem; }
  /* A toggle's or a checkbox's label on as many lines as it needs, not cut with « … ». */
  [data-testid="stCheckbox"] .stMarkdownEllipsis,
  [data-testid="stCheckbox"] .stMarkdownEllipsis p { white-space: normal; overflow: visible; }
  /* Plotly's toolbar stays shown on a touch screen, over the chart's title: the « Exporter »
     button under each chart gives its images and data. */
  .js-plotly-plot .modebar-container { display: none; }
}
</style>"""
_PAGE_JS = Path(__file__).with_name("page.js").read_text(encoding="utf-8")
# st.html drops a script that holds a « < » (taken for a tag): page.js writes it \x3c.
assert "<" not in _PAGE_JS, "webapp/page.js: write « < » as \\x3c"


def prepare_page() -> None:
    """What Streamlit has no setting for, set once in the browser tab (webapp/page.js): the
    page language (lang="fr") for screen readers and translation tools, Streamlit's own
    labels in French, Enter applying a typed date, the sidebar closing once a page is chosen
    on a narrow screen; and the narrow-screen style."""
    script = (
        _PAGE_JS.replace("__WORDS__", json.dumps(STREAMLIT_FRENCH, ensure_ascii=False))
        .replace("__PREFIXES__", json.dumps(STREAMLIT_FRENCH_PREFIXES, ensure_ascii=False))
        .replace("__NARROW__", str(NARROW_SCREEN_PX))
        .replace("__PHONE_LABELS__", json.dumps(target_charts.PHONE_LABELS))
    )
    st.html(f"{_NARROW_CSS}<script>{script}</script>", unsafe_allow_javascript=True)


def metric_row(figures: list[tuple[str, str, str | None]]) -> None:
    """Key figures side by side: (label, value, help)."""
    for column, (label, value, help_text) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(label, value, help=help_text)


# Charts with their exports -------------------------------------------------------------------

# Plotly's toolbar and hover words in French (plotly.js's own « fr » locale, given with each
# chart: Streamlit registers none, so the toolbar asked for « fr » and spoke English).
PLOTLY_FRENCH = {
    "dictionary": {
        "Autoscale": "Échelle automatique",
        "Box Select": "Sélection rectangulaire",
        "Double-click to zoom back out": "Double-cliquez pour revenir à la vue d'origine",
        "Download plot": "Télécharger le graphique",
        "Download plot as a PNG": "Télécharger le graphique en PNG",
        "Download plot as a png": "Télécharger le graphique en PNG",
        "Lasso Select": "Sélection au lasso",
        "Pan": "Déplacer",
        "Produced with Plotly.js": "Produit avec Plotly.js",
        "Reset": "Réinitialiser",
        "Reset axes": "Réinitialiser les axes",
        "Reset view": "Réinitialiser la vue",
        "Snapshot succeeded": "Image enregistrée",
        "Sorry, there was a problem downloading your snapshot!": (
            "Désolé, le téléchargement de l'image a échoué."
        ),
        "Taking snapshot - this may take a few seconds": (
            "Création de l'image, quelques secondes…"
        ),
        "Toggle Spike Lines": "Lignes de repère",
        "Toggle show closest data on hover": "Valeur la plus proche au survol",
        "Show closest data on hover": "Valeur la plus proche au survol",
        "Compare data on hover": "Comparer les valeurs au survol",
        "Zoom": "Zoom",
        "Zoom in": "Zoom avant",
        "Zoom out": "Zoom arrière",
        "incoming flow count:": "flux entrants :",
        "outgoing flow count:": "flux sortants :",
        "source:": "source :",
        "target:": "cible :",
        "trace": "série",
        "new text": "nouveau texte",
    },
    "format": {
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        "shortMonths": [
            "janv.",
            "févr.",
            "mars",
            "avr.",
            "mai",
            "juin",
            "juil.",
            "août",
            "sept.",
            "oct.",
            "nov.",
            "déc.",
        ],
        "date": "%d/%m/%Y",
    },
}


_KIT = "_press_kit_figures"


def start_page() -> None:
    """Forget the previous page's figures (app.py calls it before each page runs)."""
    st.session_state[_KIT] = []
    st.session_state["_page_has_demo"] = False
    st.session_state.pop("_page_source", None)


def view_link() -> str:
    """The link that reproduces the current view (page, filters and page choices)."""
    base = st.context.url or "http://localhost:8501/"
    query = urlencode(st.query_params.to_dict())
    return f"{base}?{query}" if query else base


def chart(
    fig,
    *,
    key: str,
    title: str,
    data: pd.DataFrame,
    reading: str,
    subtitle: str | None = None,
    source: str | None = None,
    uses: tuple[str, ...] = RECORDS,
    scope: Filters | None = None,
    export_fig=None,
    **plotly_kwargs,
):
    """A Plotly chart with its export control: PNG (2×), SVG and PDF rendered server-side with
    an editable title and subtitle, the source line and the demonstration mention; the data as
    CSV and XLSX. The figure also joins the page's press kit. `reading` is one French sentence
    stating the main reading (alternative text). `source`: the source line when the figure
    does not show the Département's records only (a published indicator); `uses`: the kinds
    of records the figure rests on (its source line names only theirs); `scope`: the
    filters the figure shows when not the sidebar's (a territory's sheet); `export_fig`: the
    figure to export when it differs from the one on screen (the map's names, always
    written in exported images)."""
    filters = scope or current_filters()
    subtitle = subtitle if subtitle is not None else scope_caption(filters)
    name = exports.slug(title)
    fig = charts.safe_text(fig)
    config = exports.toolbar_config(name) | {"locale": "fr", "locales": {"fr": PLOTLY_FRENCH}}
    state = st.plotly_chart(fig, key=key, config=config, **plotly_kwargs)
    demo = bool(st.session_state.get("_page_has_demo"))
    if source:
        st.session_state["_page_source"] = source  # the press kit's caption says it too
    source = source or source_text(filters, uses)
    exported = fig if export_fig is None else charts.safe_text(export_fig)
    with st.popover("Exporter", icon=":material/download:"):
        title_text = st.text_input("Titre", value=title, key=f"{key}_title")
        subtitle_text = st.text_input("Sous-titre", value=subtitle, key=f"{key}_subtitle")
        preset = st.selectbox(
            "Format",
            list(exports.PRESETS),
            format_func=lambda p: exports.PRESETS[p].label,
            placeholder="Choisir",
            key=f"{key}_preset",
        )
        # Built only when a download is clicked: reruns stay cheap.
        dress = partial(
            exports.press_figure,
            exported,
            title=title_text,
            subtitle=subtitle_text,
            source=source,
            demo=demo,
            preset=preset,
            reading=reading,
        )
        if exports.image_export_available():
            columns = st.columns(len(exports.PRESETS[preset].formats))
            for column, image_format in zip(columns, exports.PRESETS[preset].formats, strict=True):
                column.download_button(
                    image_format.upper(),
                    data=in_this_run(_renderer(dress, image_format, preset)),
                    file_name=f"{exports.slug(title_text)}.{image_format}",
                    mime=exports.MIME[image_format],
                    key=f"{key}_{image_format}",
                    on_click="ignore",
                )
        else:
            st.info(
                "L'export d'images n'est pas disponible sur ce serveur (Chromium absent) ; "
                "les données restent téléchargeables."
            )
        left, right = st.columns(2)
        left.download_button(
            "Données CSV",
            in_this_run(partial(exports.to_csv, data)),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"{key}_data_csv",
            on_click="ignore",
        )
        right.download_button(
            "Données XLSX",
            in_this_run(partial(exports.to_xlsx, data, title=title_text)),
            file_name=f"{name}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{key}_data_xlsx",
            on_click="ignore",
        )
    st.session_state.setdefault(_KIT, []).append(
        (exports.KitFigure(exports.slug(title_text), dress, data), title_text, reading)
    )
    return state


def in_this_run(make: Callable[[], object]) -> Callable[[], object]:
    """MAKE, to be called later by Streamlit (a download made when clicked, in a thread of its
    own), in this run's context: an interne's exact counts stay exportable there, a lecteur's
    stay protected (observatoire/audience.py is a ContextVar set once per run)."""
    run = contextvars.copy_context()
    return lambda: run.copy().run(make)


def _renderer(dress, image_format: str, preset: str):
    """Deferred rendering: the image is made only when the user clicks."""
    return lambda: exports.render_image(dress(), image_format, preset)


def press_kit_button(page_name: str) -> None:
    """« Dossier de presse » : every figure of the page as images, data, caption, alt text and
    the link to this view, in one ZIP (made when clicked)."""
    entries = st.session_state.get(_KIT) or []
    if not entries:
        return
    if not exports.image_export_available():
        st.caption("Dossier de presse indisponible : l'export d'images demande Chromium.")
        return
    # Only figures whose counts of people a reader may export (the protected tables, or
    # exact counts for an interne): an image shows what its data holds.
    entries = [entry for entry in entries if exports.exportable(entry[0].data)]
    if not entries:
        st.caption(
            "Dossier de presse indisponible : les chiffres de personnes de cette page ne "
            "viennent pas des tableaux protégés (secret des petits effectifs)."
        )
        return
    filters = current_filters()
    caption = "\n".join(f"- {title} — {scope_caption(filters)}" for _, title, _ in entries)
    caption += "\n" + st.session_state.get("_page_source", source_text(filters))
    alt_text = "\n".join(
        f"- {exports.alt_text(figure.dress.args[0], title, scope_caption(filters), reading)}"
        for figure, title, reading in entries
    )
    figures = [figure for figure, _, _ in entries]
    link = view_link()
    st.download_button(
        "Dossier de presse (ZIP)",
        data=in_this_run(
            partial(exports.press_kit, figures, caption=caption, alt_text=alt_text, link=link)
        ),
        file_name=f"dossier-de-presse-{exports.slug(page_name)}.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        key=f"press_kit_{exports.slug(page_name)}",
        on_click="ignore",
    )


def switch_page(page: str, query: dict[str, str] | None = None) -> None:
    """st.switch_page that keeps the global filters. A run that ends in st.switch_page loses
    the sidebar widgets' state, so the filters are put in the new page's URL and re-read
    from it (as on a shared link)."""
    filters = current_filters()
    url_state.reread(_STATE)
    st.switch_page(page, query_params={**filters.to_query(), **(query or {})})


# Large tables and tables with masked small counts -------------------------------------------


# The targets tables on screen: what answers « where do we stand » comes first, in widths
# that fit a 1 440 px screen beside the sidebar: Objectif, Reste à faire, Échéance, Rythme
# and Statut without scrolling; the programme, unit rules and source after them. The
# downloads keep every column, in full words.
TARGET_COLUMNS = {
    "Objectif annoncé": st.column_config.TextColumn("Objectif annoncé", width=220),
    "Territoire": st.column_config.TextColumn("Territoire", width=170),
    "Objectif": st.column_config.Column("Objectif", width=80),
    "Réalisé": st.column_config.Column("Réalisé", width=80),
    "Unité": st.column_config.Column("Unité", width=95),
    "Avancement": st.column_config.Column("Avancement", width=95),
    "Reste à faire": st.column_config.Column("Reste à faire", width=95),
    "Échéance": st.column_config.Column("Échéance", width=95),
    "Rythme nécessaire par mois": st.column_config.Column(
        "Rythme / mois", width=95, help="Rythme nécessaire par mois pour tenir l'échéance"
    ),
    "Statut": st.column_config.Column("Statut", width=105),
}
TARGET_COLUMNS_FIRST = [
    "Objectif annoncé",
    "Territoire",
    "Objectif",
    "Réalisé",
    "Unité",
    "Avancement",
]
TARGET_COLUMNS_FIRST += ["Reste à faire", "Échéance", "Rythme nécessaire par mois", "Statut"]


def targets_table_layout(table: pd.DataFrame) -> dict:
    """st.dataframe arguments: the columns in reading order, with their on-screen widths."""
    first = [c for c in TARGET_COLUMNS_FIRST if c in table.columns]
    return {
        "column_order": first + [c for c in table.columns if c not in first],
        "column_config": {c: v for c, v in TARGET_COLUMNS.items() if c in table.columns},
    }


# The main column beside the open sidebar on a 1 440 px screen (layout="wide").
WIDE_SCREEN_TABLE_PX = 980
# On a phone a table wider than the screen scrolls sideways inside itself: its first column
# (the territory, the target, the indicator) is pinned, so that each row keeps its name
# beside whatever figure is scrolled to. Streamlit freezes pinned columns only while they
# take at most 60 % of the table's width (a 390 px phone leaves a 358 px table; a 360 px one,
# 328 px): the pinned column is at most PINNED_PX wide, narrower when its texts are short.
PINNED_PX = 190
_CHAR_PX = 7.5  # a character of the table's 14 px type, on average (headers are bolder)
_CELL_PADDING_PX = 28


def pinned_layout(frame: pd.DataFrame, column_order=None, column_config=None) -> dict:
    """st.dataframe's column_order and column_config for FRAME with its first column (in
    COLUMN_ORDER when given) pinned, at most PINNED_PX wide."""
    order = list(column_order or frame.columns)
    config = dict(column_config or {})
    if not order:
        return {"column_order": column_order, "column_config": config}
    first = order[0]
    current = config.get(first)
    current = {"label": current} if isinstance(current, str) else dict(current or {})
    texts = [str(first), *frame[first].head(500).astype(str)] if first in frame else [first]
    natural = max(len(t) for t in texts) * _CHAR_PX + _CELL_PADDING_PX
    width = current.get("width")
    width = {"small": 75, "medium": 200, "large": 400}.get(width, width) or natural
    config[first] = current | {"pinned": True, "width": int(min(width, natural, PINNED_PX))}
    return {"column_order": column_order, "column_config": config}


def dataframe(frame, **kwargs) -> None:
    """st.dataframe of a frame (or its Styler) as every page shows a table: the whole width,
    no index, the first column pinned (pinned_layout)."""
    styled = not isinstance(frame, pd.DataFrame)
    data = frame.data if styled else frame
    order, config = kwargs.pop("column_order", None), kwargs.pop("column_config", None)
    kwargs |= pinned_layout(data, order, config)
    first = (kwargs["column_order"] or list(data.columns) or [None])[0]
    if styled and first in data.columns:
        # Streamlit draws a pinned column's text at 60 % opacity: black there reads #666,
        # 5.7:1 on white (the body's grey would fall to about 3.8:1).
        frame = frame.set_properties(subset=[first], color="#000000")
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)


def table_with_downloads(
    frame: pd.DataFrame,
    name: str,
    *,
    key: str,
    formats: dict | None = None,
    max_rows: int | None = None,
    total_rows: int | None = None,
    all_rows: Callable[[], pd.DataFrame] | None = None,
    **dataframe_kwargs,
) -> None:
    """A table with CSV (French and standard) and XLSX downloads of exactly what it holds,
    made only when clicked. formats: column → function giving the French text shown
    (fmt.number, fmt.money…): the table still sorts on the numbers and the downloads keep
    numbers as numbers. Text among the numbers (« < 5 », « secret »: a masked count) is shown
    as it is and sorts before them. The screen shows at most MAX_ROWS rows and says so; the
    downloads hold every row: those of `all_rows()` when given (read on click, when `frame`
    holds only the first rows of `total_rows`)."""
    shown = _as_datetimes(frame if max_rows is None else frame.head(max_rows))
    total = len(frame) if total_rows is None else total_rows
    formats = _date_formats(shown) | (formats or {})
    dataframe(_text_aware_view(_dashed(shown, formats), formats), **dataframe_kwargs)
    if max_rows is not None and total > max_rows:
        st.caption(
            f"Seules les {fmt.number(max_rows)} premières lignes sont affichées ; les "
            f"téléchargements contiennent les {fmt.number(total)} lignes."
        )

    def rows() -> pd.DataFrame:
        return all_rows() if all_rows is not None else frame

    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    downloads = [
        ("CSV (Excel français)", lambda: exports.to_csv(rows(), french=True), ".csv", "text/csv"),
        ("CSV standard", lambda: exports.to_csv(rows(), french=False), "-standard.csv", "text/csv"),
        ("XLSX", lambda: exports.to_xlsx(rows()), ".xlsx", xlsx),
    ]
    too_long = total > exports.XLSX_MAX_ROWS  # a sheet holds 1 048 576 rows, header included
    for column, (label, make, suffix, mime) in zip(st.columns(3), downloads, strict=True):
        no_xlsx = too_long and suffix == ".xlsx"
        column.download_button(
            label,
            data=in_this_run(make),
            file_name=f"{name}{suffix}",
            mime=mime,
            key=f"{key}_{exports.slug(label)}",
            on_click="ignore",
            disabled=no_xlsx,
            help=f"Plus de {fmt.number(exports.XLSX_MAX_ROWS)} lignes, le maximum d'un "
            "classeur Excel : téléchargez le CSV."
            if no_xlsx
            else None,
        )


def _dashed(frame: pd.DataFrame, formats: dict) -> pd.DataFrame:
    """Empty cells of the text columns shown as « – » (st.dataframe writes « None »)."""
    text = [
        c
        for c in frame.columns
        if c not in formats and _is_text(frame[c]) and frame[c].isna().any()
    ]
    if not text:
        return frame
    shown = frame.copy()
    shown[text] = shown[text].astype(object).where(shown[text].notna(), "–")
    return shown


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column)


def _as_datetimes(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of Python dates (a month, a day) as datetimes, shown through their format:
    taken for text among numbers, they were written as the sorting values that stand for
    text (« -2e+300 »)."""
    dates = [
        c
        for c in frame.columns
        if pd.api.types.is_object_dtype(frame[c])
        and frame[c].notna().any()
        and frame[c].dropna().map(lambda v: isinstance(v, date)).all()
    ]
    if not dates:
        return frame
    return frame.assign(**{c: pd.to_datetime(frame[c]) for c in dates})


def _date_formats(frame: pd.DataFrame) -> dict:
    """French dates for the date columns: « 01/12/2026 », or « 01/12/2026 à 19:12 » when the
    column holds times of day."""
    formats = {}
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            values = frame[column].dropna()
            with_time = bool((values != values.dt.normalize()).any())
            formats[column] = fmt.french_datetime if with_time else fmt.french_date
    return formats


# A masked text's stand-in in a number column (-inf, then 2, 3… times this): every one is at
# or below it, far below any figure the product shows.
STAND_IN = -1e14


def _text_aware_view(frame: pd.DataFrame, formats: dict):
    """The frame as shown: formatted numbers and dates, « – » for empty cells. The text
    cells of a number column (such as « < 5 » or « secret ») become distinct very negative
    sentinels, so that the column still sorts as numbers, and are shown as their own text:
    the masked number itself never reaches the browser."""
    formats = {c: f for c, f in formats.items() if c in frame.columns}
    if not formats:
        return frame
    view = frame.copy()
    shown = {}
    for column, function in formats.items():
        if pd.api.types.is_datetime64_any_dtype(view[column]):
            shown[column] = function
            continue
        numbers = pd.to_numeric(view[column], errors="coerce")
        text = view[column].where(numbers.isna() & view[column].notna())
        # Stand-ins within JavaScript's safe integers: beyond them the grid shows the number
        # as an error (« -2e+300 ») instead of its text.
        labels = {
            -math.inf if i == 0 else STAND_IN * (i + 1): str(label)
            for i, label in enumerate(sorted(text.dropna().astype(str).unique()))
        }
        sentinel = {label: value for value, label in labels.items()}
        view[column] = (
            numbers.mask(text.notna(), text.astype(str).map(sentinel))
            .fillna(math.inf)
            .astype(float)
        )
        shown[column] = _shown_number(function, labels)
    return view.style.format(shown)


def _shown_number(function, labels: dict[float, str]):
    def show(value):
        if value in labels:
            return labels[value]
        return "–" if math.isinf(value) else function(value)

    return show
