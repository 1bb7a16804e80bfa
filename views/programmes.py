"""Programmes et sources: each programme, the press release it comes from, and its targets."""

import streamlit as st

from observatoire import fmt, mdsafe, protected, warehouse
from webapp import ui

filters = ui.current_filters()
st.title("Programmes et sources")
st.caption(mdsafe.as_text(ui.selection_caption(filters)))  # programme names: text
st.markdown(
    "Chaque objectif affiché dans l'Observatoire provient d'un communiqué de presse "
    "(transcrit dans le référentiel) ou d'un fichier chargé par un gestionnaire de programme."
)

programmes = warehouse.programme_list()
if filters.programmes:
    programmes = programmes[programmes["id"].isin(filters.programmes)]
# For a lecteur, « Réalisé » comes from the protected tables (observatoire/protected.py).
targets, people = protected.target_progress(filters.with_(ept=None, communes=()))
if note := protected.months_note(filters, people):
    st.caption(note)

for programme in programmes.itertuples():
    with st.container(border=True):
        st.subheader(fmt.md(programme.name))
        start, end = fmt.french_date(programme.start_date), fmt.french_date(programme.end_date)
        period = f"depuis le {start}" if end == "–" else f"du {start} au {end}"
        st.caption(
            f"Opérateur : {fmt.md(programme.operator)} · {period} · "
            f"identifiant {fmt.md(programme.id)}"
        )
        st.text(programme.description or "")
        if programme.from_press_release:
            st.markdown(
                f"**Source** : {fmt.md(programme.source_publisher)}, communiqué du "
                f"{fmt.french_date(programme.source_date)} — « {fmt.md(programme.source_title)} »"
            )
        else:
            st.markdown(
                f"**Source** : fichier « {fmt.md(programme.source)} », chargé le "
                f"{fmt.french_date(programme.loaded_at)}"
            )
        rows = targets[targets["programme_id"] == programme.id]
        if not rows.empty:
            achieved, progress = protected.achieved_texts(rows, with_unit=True)
            table = rows.assign(
                Objectif=rows["label"],
                Cible=[
                    f"{fmt.number(v)} {u}"
                    for v, u in zip(rows["target_value"], rows["unit"], strict=True)
                ],
                Échéance=[fmt.french_date(d) for d in rows["deadline"]],
                Réalisé=achieved,
                Avancement=progress,
            )[["Objectif", "Cible", "Échéance", "Réalisé", "Avancement"]]
            ui.dataframe(table)
