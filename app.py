"""Entry point: page navigation and the global filters shared by every page."""

import streamlit as st

from observatoire import warehouse
from webapp import identity, ui

st.set_page_config(
    page_title="Observatoire de l'inclusion numérique – Seine-Saint-Denis",
    page_icon=":material/hub:",
    layout="wide",
)
ui.prepare_page()

# (file, title, icon, url path): the first page is the home page.
PAGES = [
    ("views/overview.py", "Vue d'ensemble", "dashboard", "vue-d-ensemble"),
    ("views/map.py", "Carte", "map", "carte"),
    ("views/need.py", "Aide et besoins", "compare_arrows", "aide-et-besoins"),
    ("views/allocation.py", "Répartir une enveloppe", "call_split", "repartir"),
    ("views/territory.py", "Fiche territoire", "location_city", "territoire"),
    ("views/targets.py", "Objectifs", "flag", "objectifs"),
    ("views/funding.py", "Financements", "paid", "financements"),
    ("views/programmes.py", "Programmes et sources", "article", "programmes"),
    ("views/data.py", "Données", "database", "donnees"),
]
pages = [
    st.Page(path, title=title, icon=f":material/{icon}:", url_path=url, default=i == 0)
    for i, (path, title, icon, url) in enumerate(PAGES)
]
navigation = st.navigation(pages)
# Resolved once per run: who is signed in, with which role, and so whether this session's
# thread sees exact counts; then « Se connecter » / « Se déconnecter ».
identity.sidebar(identity.start_run())

try:
    warehouse.require_current_schema()
    ui.sidebar_filters()
except warehouse.WarehouseMissing as missing:
    st.error(
        f"L'entrepôt de données est introuvable ({missing}). Créez-le avec "
        "« make run » ou « python -m etl init »."
    )
    st.stop()
except warehouse.WarehouseOutdated as outdated:
    st.error(
        "L'entrepôt de données date d'une version précédente de l'Observatoire "
        f"(mises à jour en attente : {outdated}). Mettez-le à jour avec « make run » ou "
        "« python -m etl migrate » : les chargements et leurs données sont conservés."
    )
    st.stop()

ui.start_page()
navigation.run()
