"""Entry point: page navigation and the global filters shared by every page."""

import streamlit as st

from observatoire import ui, warehouse

st.set_page_config(
    page_title="Observatoire de l'inclusion numérique – Seine-Saint-Denis",
    page_icon=":material/hub:",
    layout="wide",
)
ui.declare_french()

pages = [
    st.Page(
        "pages/overview.py",
        title="Vue d'ensemble",
        icon=":material/dashboard:",
        url_path="vue-d-ensemble",
        default=True,
    ),
    st.Page(
        "pages/programmes.py",
        title="Programmes et sources",
        icon=":material/article:",
        url_path="programmes",
    ),
    st.Page("pages/map.py", title="Carte", icon=":material/map:", url_path="carte"),
    st.Page(
        "pages/territory.py",
        title="Fiche territoire",
        icon=":material/location_city:",
        url_path="territoire",
    ),
    st.Page("pages/targets.py", title="Objectifs", icon=":material/flag:", url_path="objectifs"),
    st.Page(
        "pages/funding.py", title="Financements", icon=":material/paid:", url_path="financements"
    ),
]
navigation = st.navigation(pages)

try:
    ui.sidebar_filters()
except warehouse.WarehouseMissing as missing:
    st.error(
        f"L'entrepôt de données est introuvable ({missing}). Créez-le avec "
        "« make run » ou « python -m etl init »."
    )
    st.stop()

ui.start_page()
navigation.run()
