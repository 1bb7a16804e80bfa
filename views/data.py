"""Données : what was loaded, when, from which file, what was refused and why; and, when the
deployment allows it, loading a file through the same code path as `python -m etl load`."""

import hmac

import streamlit as st

from core.settings import get_settings
from etl.api import KIND_LABELS, EtlError, load_file
from observatoire import fmt, ui, warehouse

KIND_NAMES = {
    "reference": "référentiel",
    "demo": "démonstration",
    "boundaries": "contours",
    **KIND_LABELS,
}

st.title("Données")
st.markdown(
    "Chaque chargement est enregistré avec son fichier, sa date et ses lignes rejetées. "
    "Un même fichier chargé deux fois ne compte qu'une fois ; un fichier refusé ne modifie "
    "rien. Les colonnes de données personnelles (noms, courriels, téléphones, dates de "
    "naissance, adresses, NIR) sont supprimées avant tout enregistrement."
)

loads = warehouse.loads_list()
ui.demo_notice(bool((loads["is_demo"] & loads["replaced_at"].isna()).any()))
table = loads.assign(
    Type=loads["kind"].map(lambda k: KIND_NAMES.get(k, k)),
    État=loads["replaced_at"].notna().map({True: "remplacé", False: "actif"}),
)[
    [
        "load_id",
        "Type",
        "source_label",
        "file_name",
        "loaded_at",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "État",
    ]
].rename(
    columns={
        "load_id": "N°",
        "source_label": "Source",
        "file_name": "Fichier",
        "loaded_at": "Chargé le",
        "rows_read": "Lignes lues",
        "rows_loaded": "Chargées",
        "rows_rejected": "Rejetées",
    }
)
st.subheader("Chargements")
ui.table_with_downloads(table, "chargements", key="loads")

with_rejects = loads[loads["rows_rejected"] > 0]
st.subheader("Lignes rejetées")
if with_rejects.empty:
    st.caption("Aucune ligne rejetée.")
else:
    labels = {
        row.load_id: f"n° {row.load_id} — {row.source_label} "
        f"({fmt.plural(row.rows_rejected, 'rejet')})"
        for row in with_rejects.itertuples()
    }
    chosen = st.selectbox("Chargement", list(labels), format_func=labels.get, key="rejects_load")
    rejects = warehouse.load_rejects(chosen).rename(
        columns={"row_number": "Ligne", "column": "Colonne", "value": "Valeur", "reason": "Motif"}
    )
    st.caption(
        "Les numéros de ligne sont ceux du tableur. Corrigez ces lignes puis rechargez le "
        "fichier avec l'option « remplacer » pour qu'il remplace le précédent."
    )
    ui.table_with_downloads(rejects, f"rejets-chargement-{chosen}", key="rejects")

st.subheader("Charger un fichier")
password = get_settings().upload_password
if not password:
    st.info(
        "Le dépôt de fichiers depuis le tableau de bord est désactivé sur ce serveur. "
        "L'administrateur peut l'activer avec la variable OBSERVATOIRE_UPLOAD_PASSWORD, ou "
        "charger les fichiers en ligne de commande : « python -m etl load distributions "
        "FICHIER »."
    )
    st.stop()

with st.form("upload"):
    kind = st.selectbox("Type de fichier", list(KIND_LABELS), format_func=KIND_LABELS.get)
    uploaded = st.file_uploader("Fichier CSV ou Excel", type=["csv", "txt", "xlsx"])
    label = st.text_input("Source (par défaut : le nom du fichier)")
    sheet = st.text_input("Feuille Excel (par défaut : la première)")
    annee = st.text_input("Millésime des indicateurs, quand le fichier ne le dit pas (AAAA)")
    replace = st.checkbox("Remplacer le chargement précédent de cette source (correction)")
    given = st.text_input("Mot de passe de dépôt", type="password")
    submitted = st.form_submit_button("Charger")

if submitted:
    if not hmac.compare_digest(given.encode(), password.encode()):
        st.error("Mot de passe de dépôt incorrect.")
    elif uploaded is None:
        st.error("Choisissez un fichier à charger.")
    elif annee.strip() and not (annee.strip().isdigit() and len(annee.strip()) == 4):
        st.error("Millésime invalide : indiquez une année sur quatre chiffres (ex. 2021).")
    else:
        warehouse.READER.release()  # this process's kept read connection would block the load
        try:
            result = load_file(
                warehouse.db_path(),
                kind,
                uploaded.getvalue(),
                file_name=uploaded.name,
                source_label=label or None,
                replace=replace,
                sheet=sheet or None,
                timeout_s=get_settings().lock_timeout_s,
                year=int(annee) if annee.strip() else None,
            )
        except EtlError as error:
            st.error(f"Fichier refusé : {fmt.md(error)}")
        else:
            if result.already_loaded:
                st.info(
                    f"Ce fichier est déjà chargé (chargement n° {result.load_id}) : "
                    "rien n'a changé."
                )
            else:
                st.success(
                    f"Chargement n° {result.load_id} : "
                    f"{fmt.number(result.rows_read)} lignes lues, "
                    f"{fmt.number(result.rows_loaded)} chargées, "
                    f"{fmt.number(result.rows_rejected)} rejetées"
                    + (
                        f", {fmt.number(result.rows_skipped)} ignorées (hors du département, "
                        "autre niveau géographique ou secret statistique)"
                        if result.rows_skipped
                        else ""
                    )
                    + "."
                )
            for message in result.messages:
                st.caption(fmt.md(message))
