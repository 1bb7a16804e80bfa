"""Entry point: page navigation and the global filters shared by every page."""

import streamlit as st

from observatoire import ui, warehouse

st.set_page_config(
    page_title="Observatoire de l'inclusion numérique – Seine-Saint-Denis",
    page_icon=":material/hub:",
    layout="wide",
)
ui.declare_french()

# (file, title, icon, url path): the first page is the home page.
PAGES = [
    ("pages/overview.py", "Vue d'ensemble", "dashboard", "vue-d-ensemble"),
    ("pages/map.py", "Carte", "map", "carte"),
    ("pages/territory.py", "Fiche territoire", "location_city", "territoire"),
    ("pages/targets.py", "Objectifs", "flag", "objectifs"),
    ("pages/funding.py", "Financements", "paid", "financements"),
    ("pages/programmes.py", "Programmes et sources", "article", "programmes"),
    ("pages/data.py", "Données", "database", "donnees"),
]
pages = [
    st.Page(path, title=title, icon=f":material/{icon}:", url_path=url, default=i == 0)
    for i, (path, title, icon, url) in enumerate(PAGES)
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
