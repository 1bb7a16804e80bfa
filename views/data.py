"""Données : what was loaded, when, from which file and by whom, what was refused and why;
and, for the gestionnaires (observatoire/auth.py), loading, replacing and removing a file
through the same code as `python -m etl load` and `unload`. Who may do what is resolved again
on every run, on the server, from the signed-in identity: never from widget state."""

import streamlit as st

from core.settings import get_settings
from etl.api import (
    KIND_LABELS,
    PROTECTED_KINDS,
    ColumnsMissing,
    EtlError,
    describe_unload,
    load_file,
    unload,
)
from observatoire import auth, fmt, uploads, warehouse
from webapp import identity, rejects_gate, ui

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

# Who may do what, for this run: a gestionnaire when signed in; without sign-in, whoever
# gives the shared password (checked on each action); nobody else.
settings = get_settings()
who = identity.current()
sign_in = identity.sign_in_configured()
password = None if sign_in else settings.upload_password
may_manage = who.gestionnaire if sign_in else bool(password)
# The rejects come from the files: the gestionnaires' only, in every configuration.
may_see_rejects = rejects_gate.may_see_rejects(sign_in, who.gestionnaire, st.session_state)


def _by(value) -> str:
    """Who made or removed a load: e-mail addresses for the gestionnaires only."""
    if value is None or value != value:  # NULL: loads made before this was recorded
        return "—"
    if "@" in str(value) and not who.gestionnaire:
        return "personne connectée"
    return str(value)


def _state(row) -> str:
    if row.removed_at == row.removed_at and row.removed_at is not None:
        return f"retiré par {_by(row.removed_by)}"
    return (
        "remplacé"
        if row.replaced_at == row.replaced_at and row.replaced_at is not None
        else "actif"
    )


loads = warehouse.loads_list()
live = loads["replaced_at"].isna() & loads["removed_at"].isna()
ui.demo_notice(bool((loads["is_demo"] & live).any()))
table = loads.assign(
    Type=loads["kind"].map(lambda k: KIND_NAMES.get(k, k)),
    État=[_state(row) for row in loads.itertuples()],
    loaded_by=loads["loaded_by"].map(_by),
)[
    [
        "load_id",
        "Type",
        "loaded_at",
        "loaded_by",
        "source_label",
        "file_name",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "mapping",
        "État",
    ]
].rename(
    columns={
        "load_id": "N°",
        "source_label": "Source",
        "file_name": "Fichier",
        "loaded_at": "Chargé le",
        "loaded_by": "Chargé par",
        "rows_read": "Lignes lues",
        "rows_loaded": "Chargées",
        "rows_rejected": "Rejetées",
        # expected=column as given: how a file's own headers were matched (« reprise »: the
        # mapping remembered from an earlier file with the same header).
        "mapping": "Colonnes associées",
    }
)
st.subheader("Chargements")
ui.table_with_downloads(table, "chargements", key="loads")

with_rejects = loads[(loads["rows_rejected"] > 0) & loads["removed_at"].isna()]
st.subheader("Lignes rejetées")
if not may_see_rejects:
    st.caption(rejects_gate.hidden_notice(sign_in, bool(password)))
elif with_rejects.empty:
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
if not may_manage:
    if sign_in:
        st.info(
            "Le dépôt et le retrait de fichiers sont réservés aux gestionnaires : "
            + (
                f"votre compte ({fmt.md(who.shown_name)}) n'en fait pas partie."
                if who.signed_in
                else "connectez-vous (« Se connecter », dans la barre latérale)."
            )
        )
    else:
        st.info(
            "Le dépôt de fichiers depuis le tableau de bord est désactivé sur ce serveur. "
            "L'administrateur peut l'activer en configurant la connexion (gestionnaires, "
            "OBSERVATOIRE_GESTIONNAIRES) ou la variable OBSERVATOIRE_UPLOAD_PASSWORD, ou "
            "charger les fichiers en ligne de commande : « python -m etl load distributions "
            "FICHIER »."
        )
    st.stop()

# From here on: a gestionnaire (signed in), or the shared-password fallback.
uploader = who.email if sign_in else auth.PASSWORD_UPLOADER
guard = None if sign_in else identity.password_guard()
if guard is not None and guard.locked_for_s() > 0:
    st.warning(guard.message("locked"))


def _password_ok(given: str | None) -> bool:
    """Sign-in mode: the role, already checked. Password mode: the guard's verdict."""
    if guard is None:
        return True
    outcome = guard.check(given or "", password)
    if outcome == "ok":
        rejects_gate.remember_password(st.session_state)
    if outcome != "ok":
        st.error(guard.message(outcome))
    return outcome == "ok"


_FLASH = "_data_page_messages"


def _flash(kind: str, text: str) -> None:
    """A message to show after the rerun that refreshes the tables (this session only)."""
    st.session_state.setdefault(_FLASH, []).append((kind, text))


for flash_kind, flash_text in st.session_state.pop(_FLASH, []):
    getattr(st, flash_kind)(flash_text)

limit_mb = settings.upload_max_mb
with st.form("upload"):
    kind = st.selectbox("Type de fichier", list(KIND_LABELS), format_func=KIND_LABELS.get)
    uploaded = st.file_uploader(
        f"Fichier CSV ou Excel ({limit_mb} Mo au plus)", type=["csv", "txt", "xlsx"]
    )
    label = st.text_input("Source (par défaut : le nom du fichier)")
    sheet = st.text_input("Feuille Excel (par défaut : la première)")
    annee = st.text_input("Millésime des indicateurs, quand le fichier ne le dit pas (AAAA)")
    replace = st.checkbox("Remplacer le chargement précédent de cette source (correction)")
    given = (
        None
        if guard is None
        else st.text_input("Mot de passe de dépôt", type="password", key="upload_password")
    )
    submitted = st.form_submit_button("Charger")

_PENDING = "_data_page_mapping"  # a file refused for its columns, awaiting a mapping


def _load(pending: dict, columns: dict[str, str] | None = None) -> None:
    """Load the file through the ETL; a file refused for its columns stays pending with the
    explanation and the mapping the form offers (this session only)."""
    warehouse.READER.release()  # this process's kept read connection would block the load
    try:
        result = load_file(
            warehouse.db_path(),
            pending["kind"],
            pending["data"],
            file_name=pending["name"],
            source_label=pending["label"] or None,
            replace=pending["replace"],
            sheet=pending["sheet"] or None,
            timeout_s=settings.lock_timeout_s,
            year=pending["year"],
            loaded_by=uploader,
            columns=columns,
        )
    except ColumnsMissing as error:
        st.session_state[_PENDING] = {
            **pending,
            "message": str(error),
            "explanation": list(error.explanation),
            "proposal": error.proposal,
            "token": st.session_state.get(_PENDING, {}).get("token", 0) + 1,
        }
        st.rerun()
    except EtlError as error:
        st.session_state.pop(_PENDING, None)
        st.error(f"Fichier refusé : {fmt.md(error)}")
        for line in getattr(error, "explanation", []):  # what to do
            st.caption(fmt.md(line))
    else:
        st.session_state.pop(_PENDING, None)
        if result.already_loaded:
            _flash(
                "info",
                f"Ce fichier est déjà chargé (chargement n° {result.load_id}) : rien n'a changé.",
            )
        else:
            _flash(
                "success",
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
                + ".",
            )
        for message in result.messages:
            _flash("caption", fmt.md(message))
        st.rerun()  # the tables above show the new load


if submitted and _password_ok(given):
    if uploaded is None:
        st.error("Choisissez un fichier à charger.")
    elif refusal := uploads.too_large(uploaded.size, limit_mb):
        st.error(refusal)
    elif annee.strip() and not (annee.strip().isdigit() and len(annee.strip()) == 4):
        st.error("Millésime invalide : indiquez une année sur quatre chiffres (ex. 2021).")
    else:
        st.session_state.pop(_PENDING, None)
        _load(
            {
                "kind": kind,
                "data": uploaded.getvalue(),
                "name": uploads.display_name(uploaded.name),  # a label, never a path
                "label": label,
                "replace": replace,
                "sheet": sheet,
                "year": int(annee) if annee.strip() else None,
            }
        )

pending = st.session_state.get(_PENDING)
if pending is not None:
    st.error(f"Fichier refusé : {fmt.md(pending['message'])}")
    for line in pending["explanation"]:
        st.caption(fmt.md(line))
    proposal = pending["proposal"]
    if proposal is not None:
        st.markdown(
            f"**Faire correspondre les colonnes de « {fmt.md(pending['name'])} »** "
            f"({fmt.md(proposal.format.label)}) : choisissez, pour chaque colonne attendue, la "
            "colonne du fichier qui la donne. La correspondance est retenue pour les fichiers "
            "suivants de même en-tête."
        )
        none = "— aucune —"
        options = [none, *(h for h in proposal.headers if h)]
        chosen: dict[str, str | None] = {}
        for need in proposal.format.required:
            guess = proposal.guesses.get(need.name)
            value = st.selectbox(
                f"{need.label} ({need.name})",
                options,
                index=options.index(guess) if guess in options else 0,
                key=f"map_{pending['token']}_{need.name}",
            )
            chosen[need.name] = None if value == none else value
        st.caption("Aperçu des premières lignes telles qu'elles seraient chargées :")
        st.dataframe(proposal.preview(chosen), hide_index=True)
        with st.form("mapping"):
            given_for_mapping = (
                None
                if guard is None
                else st.text_input("Mot de passe de dépôt", type="password", key="map_password")
            )
            go = st.form_submit_button("Charger avec ces correspondances")
        if st.button("Abandonner ce fichier"):
            st.session_state.pop(_PENDING, None)
            st.rerun()
        if go and _password_ok(given_for_mapping):
            missing = [n.label for n in proposal.format.required if chosen[n.name] is None]
            if missing:
                st.error(
                    "Choisissez une colonne du fichier pour chaque colonne attendue (manquent : "
                    + ", ".join(missing)
                    + "), ou abandonnez ce fichier."
                )
            else:
                _load(pending, proposal.mapping(chosen))

st.subheader("Retirer un chargement")
removable = loads[live & ~loads["kind"].isin(list(PROTECTED_KINDS))]
if removable.empty:
    st.caption("Aucun chargement de fichier à retirer.")
    st.stop()
choices = {
    int(row.load_id): f"n° {row.load_id} — {KIND_NAMES.get(row.kind, row.kind)}, "
    f"{row.source_label} ({row.file_name})"
    for row in removable.itertuples()
}
with st.form("unload"):
    chosen_load = st.selectbox("Chargement", list(choices), format_func=choices.get)
    confirmed = st.checkbox(
        "Je confirme : ses lignes et ses rejets seront supprimés (la ligne de l'historique "
        "reste, marquée « retiré »)"
    )
    given_for_unload = (
        None
        if guard is None
        else st.text_input("Mot de passe de dépôt", type="password", key="unload_password")
    )
    remove = st.form_submit_button("Retirer")

if remove and _password_ok(given_for_unload):
    if not confirmed:
        st.error("Cochez la confirmation pour retirer ce chargement.")
    else:
        warehouse.READER.release()
        try:
            removed = unload(
                warehouse.db_path(),
                int(chosen_load),
                removed_by=uploader,
                timeout_s=settings.lock_timeout_s,
            )
        except EtlError as error:
            st.error(f"Retrait refusé : {fmt.md(error)}")
        else:
            _flash("success", fmt.md(describe_unload(removed)))
            st.rerun()
