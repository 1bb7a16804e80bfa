"""The signed-in person, read from Streamlit: st.user and st.secrets, the sidebar's « Se
connecter » / « Se déconnecter », and the sign-out recorded on the server
(observatoire/revocation.py).

Sign-in is Streamlit's OpenID Connect (``st.login``), configured under ``[auth]`` in
``.streamlit/secrets.toml`` (README, « Connexion et rôles »); the roles themselves are
resolved by observatoire/auth.py. `start_run` resolves the identity once at the top of each
script run (app.py) and tells observatoire/audience.py whether this run may see exact counts.
"""

from __future__ import annotations

import streamlit as st

from observatoire import audience, fmt, revocation
from observatoire.auth import Identity, resolve
from observatoire.lockout import password_guard  # noqa: F401  (views/data.py, tests)


def sign_in_configured() -> bool:
    """True when `.streamlit/secrets.toml` (or the files of `secrets.files`) has an [auth]
    section: then sign-in is offered and the shared password is no longer accepted."""
    try:
        if not st.secrets.load_if_toml_exists():
            return False
        section = st.secrets.get("auth")
    except Exception:  # unreadable secrets: no sign-in, said by Streamlit's own log
        return False
    return bool(section) and "redirect_uri" in section


def current() -> Identity:
    """This session's identity, read on the server for this run (anonymous outside a
    Streamlit run, e.g. in a test or a script)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx() is None or not sign_in_configured():
        return resolve(None)
    claims = st.user.to_dict()
    if revocation.signed_out(claims):  # a cookie from before a sign-out, or too old
        st.logout()
        return resolve(None)
    return resolve(claims)


def start_run() -> Identity:
    """This run's identity; exact counts for the rest of the run only if it is an interne
    (observatoire/audience.py, per session thread)."""
    who = current()
    audience.set_exact_counts(who.interne)
    return who


def sidebar(who: Identity | None = None) -> Identity:
    """Who is signed in and with which role, with « Se connecter » / « Se déconnecter »:
    at the top of the sidebar on every page."""
    who = who or current()
    if not sign_in_configured():
        return who
    with st.sidebar:
        if who.signed_in:
            st.markdown(f"Connecté : **{fmt.md(who.shown_name)}** — rôle : {who.role_label}")
            if who.email_unverified:
                st.caption(
                    "Votre fournisseur d'identité n'a pas vérifié votre adresse : elle ne "
                    "donne aucun droit supplémentaire."
                )
            if st.button("Se déconnecter", icon=":material/logout:", key="auth_logout"):
                revocation.sign_out(st.user.to_dict())
                st.logout()
        else:
            st.caption("Non connecté — rôle : lecteur")
            if st.button("Se connecter", icon=":material/login:", key="auth_login"):
                st.login()
        st.divider()
    return who
