"""Streamlit building blocks shared by the pages: global filters in the sidebar (kept in the
URL), the demonstration-data notice, source lines and downloadable tables."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from observatoire import exports, fmt, warehouse
from observatoire.filters import Filters

FILTER_KEYS = ("ept", "commune", "programme", "du", "au", "demo")
WHOLE_DEPARTEMENT = "93"  # the EPT selector's "all" choice
_STATE = "global_filters"

DEMO_NOTICE = (
    "**Données de démonstration** : les chiffres affichés incluent des enregistrements "
    "fictifs générés pour présenter l'outil. Décochez « Inclure les données de démonstration » "
    "dans le panneau latéral pour ne voir que les données réelles chargées."
)


def _init_state_from_url() -> None:
    if st.session_state.get("_filters_initialised"):
        return
    initial = Filters.from_query(st.query_params.to_dict())
    st.session_state["f_ept"] = initial.ept or WHOLE_DEPARTEMENT
    st.session_state["f_communes"] = list(initial.communes)
    st.session_state["f_programmes"] = list(initial.programmes)
    st.session_state["f_du"] = initial.date_from
    st.session_state["f_au"] = initial.date_to
    st.session_state["f_demo"] = initial.include_demo
    st.session_state["_filters_initialised"] = True


def sidebar_filters() -> Filters:
    """Draw the global filters, mirror them in the query string, and return them."""
    _init_state_from_url()
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
        left, right = st.columns(2)
        left.date_input(
            "Du",
            key="f_du",
            min_value=date(2000, 1, 1),
            max_value=date.today(),
            format="DD/MM/YYYY",
        )
        right.date_input(
            "Au",
            key="f_au",
            min_value=date(2000, 1, 1),
            max_value=date.today(),
            format="DD/MM/YYYY",
        )
        st.caption(f"Données du {fmt.french_date(first)} au {fmt.french_date(last)}.")
        st.toggle("Inclure les données de démonstration", key="f_demo")

    filters = Filters(
        ept=ept,
        communes=tuple(st.session_state["f_communes"]),
        programmes=tuple(st.session_state["f_programmes"]),
        date_from=st.session_state["f_du"],
        date_to=st.session_state["f_au"],
        include_demo=st.session_state["f_demo"],
    )
    _write_query(filters)
    st.session_state[_STATE] = filters
    return filters


def _as_date(value) -> date | None:
    if value is None or pd.isna(value):
        return None
    return value.date() if hasattr(value, "date") else value


def _write_query(filters: Filters) -> None:
    wanted = filters.to_query()
    for key in FILTER_KEYS:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


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


def demo_notice(has_demo: bool) -> None:
    if has_demo:
        st.warning(DEMO_NOTICE, icon="⚠️")


def source_text(filters: Filters) -> str:
    """« Source : Département de la Seine-Saint-Denis, communiqués du 17/11/2020 et du
    15/01/2021, fichier « X » — données au 22/11/2026 » for the figures under the filters."""
    sources = warehouse.sources_in_view(filters)
    parts = []
    releases = sources[sources["kind"] == "communique"]
    if not releases.empty:
        dates = " et du ".join(fmt.french_date(d) for d in releases["date"])
        word = "communiqué" if len(releases) == 1 else "communiqués"
        parts.append(f"{word} du {dates}")
    files = sources[sources["kind"] == "fichier"]["label"].tolist()
    if files:
        parts.append(
            ("fichier " if len(files) == 1 else "fichiers ")
            + ", ".join(f"« {name} »" for name in files)
        )
    if (sources["kind"] == "demo").any():
        parts.append("données de démonstration")
    loaded = fmt.french_date(warehouse.data_extent().get("last_load"))
    return (
        "Source : Département de la Seine-Saint-Denis, "
        + " ; ".join(parts)
        + (f" — données au {loaded}")
    )


def source_line(filters: Filters) -> None:
    st.caption(source_text(filters))


def table_with_downloads(
    frame: pd.DataFrame, name: str, *, key: str, formats: dict | None = None, **dataframe_kwargs
) -> None:
    """A table with CSV (French and standard) and XLSX downloads of exactly what it shows.

    formats: column → function giving the French text shown (fmt.number, fmt.money…); the
    table still sorts on the numbers, and the downloads keep them as numbers."""
    shown = frame.style.format(formats) if formats else frame
    st.dataframe(shown, hide_index=True, width="stretch", **dataframe_kwargs)
    cols = st.columns(3)
    cols[0].download_button(
        "CSV (Excel français)",
        exports.to_csv(frame, french=True),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv_fr",
    )
    cols[1].download_button(
        "CSV standard",
        exports.to_csv(frame, french=False),
        file_name=f"{name}-standard.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )
    cols[2].download_button(
        "XLSX",
        exports.to_xlsx(frame),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )


def declare_french() -> None:
    """Declare the page language (lang="fr") for screen readers and translation tools:
    Streamlit has no setting for it, so a one-line script sets it on the document."""
    st.html("<script>document.documentElement.lang = 'fr';</script>", unsafe_allow_javascript=True)


def metric_row(figures: list[tuple[str, str, str | None]]) -> None:
    """Key figures side by side: (label, value, help)."""
    for column, (label, value, help_text) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(label, value, help=help_text)
