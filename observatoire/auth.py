"""Who is using the dashboard, and what they may do.

Sign-in is Streamlit's OpenID Connect (``st.login``), configured under ``[auth]`` in
``.streamlit/secrets.toml`` (README, « Connexion et rôles »). The identity comes from
``st.user``, which Streamlit fills on the server from a cookie it signed itself
(``cookie_secret``): neither widget state nor the page's address can change it. The role is
resolved again on every run of every page, from that identity and the settings:

- ``lecteur``: anyone, signed in or not: small counts masked, no upload;
- ``gestionnaire``: a verified e-mail listed in OBSERVATOIRE_GESTIONNAIRES (address or
  @domain): loads, replaces and removes loads on the « Données » page, sees the rejects;
- ``interne``: a verified e-mail listed in OBSERVATOIRE_INTERNES: exact counts on screen and
  in exports. OBSERVATOIRE_INTERNAL_MODE=1 makes everyone interne (deployments without
  sign-in on a closed network).

Without ``[auth]``, the shared upload password (OBSERVATOIRE_UPLOAD_PASSWORD) remains the
fallback for loading files; it locks for LOCK_MINUTES after MAX_FAILURES wrong attempts
(observatoire/lockout.py: the count is kept in a file next to the warehouse, which no client
can clear, unlike st.cache_resource).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from core.settings import Settings, get_settings
from observatoire import fmt, revocation
from observatoire.lockout import LOCK_MINUTES, MAX_FAILURES, PasswordGuard, password_guard  # noqa: F401

LECTEUR, GESTIONNAIRE, INTERNE = "lecteur", "gestionnaire", "interne"
# Recorded in loads.loaded_by for an upload made with the shared password.
PASSWORD_UPLOADER = "mot de passe partagé"


@dataclass(frozen=True)
class Identity:
    """The person using this session, as far as the dashboard knows."""

    signed_in: bool = False
    email: str | None = None  # the verified e-mail, None if not verified or not given
    name: str | None = None
    gestionnaire: bool = False
    interne: bool = False
    email_unverified: bool = False  # signed in, but the provider says the e-mail is unverified

    @property
    def roles(self) -> list[str]:
        pairs = ((GESTIONNAIRE, self.gestionnaire), (INTERNE, self.interne))
        found = [role for role, has in pairs if has]
        return found or [LECTEUR]

    @property
    def role_label(self) -> str:
        return " et ".join(self.roles)

    @property
    def shown_name(self) -> str:
        if self.name and self.email:
            return f"{self.name} ({self.email})"
        return self.name or self.email or "compte sans adresse vérifiée"


def matches(email: str | None, entries: tuple[str, ...]) -> bool:
    """True if EMAIL is one of the ENTRIES: an exact address (a@x.fr) or a domain (@x.fr,
    or x.fr); a domain matches its own addresses only, not its subdomains'."""
    if not email or email.count("@") != 1:
        return False
    email = email.strip().lower()
    domain = email.split("@", 1)[1]
    for entry in entries:
        entry = entry.strip().lower()
        if not entry:
            continue
        if "@" in entry.lstrip("@"):
            if email == entry:
                return True
        elif domain == entry.lstrip("@"):
            return True
    return False


def _verified(claims: Mapping) -> bool:
    """The e-mail counts unless the provider says it is not verified (`email_verified`
    false, or "false" from providers that send it as text)."""
    if "email_verified" not in claims:
        return True
    value = claims.get("email_verified")
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def _name(claims: Mapping) -> str | None:
    """ProConnect gives given_name and usual_name; other providers name or given/family."""
    last = claims.get("usual_name") or claims.get("family_name")
    parts = [str(p) for p in (claims.get("given_name"), last) if p]
    return " ".join(parts) or (str(claims["name"]) if claims.get("name") else None)


def resolve(claims: Mapping | None, settings: Settings | None = None) -> Identity:
    """The identity and roles of a session whose sign-in claims are CLAIMS (st.user's:
    None or not `is_logged_in` for an anonymous visitor), under SETTINGS."""
    settings = settings or get_settings()
    everyone_interne = settings.internal_mode
    if not claims or claims.get("is_logged_in") is not True:
        return Identity(interne=everyone_interne)
    raw_email = claims.get("email")
    raw_email = str(raw_email).strip().lower() if raw_email else None
    verified = _verified(claims)
    email = raw_email if verified else None
    return Identity(
        signed_in=True,
        email=email,
        name=_name(claims),
        gestionnaire=matches(email, settings.gestionnaires),
        interne=everyone_interne or matches(email, settings.internes),
        email_unverified=bool(raw_email) and not verified,
    )


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


def sees_exact_counts() -> bool:
    """Exact small counts for this session: an interne, or everyone in internal mode."""
    return current().interne


def sidebar() -> Identity:
    """Who is signed in and with which role, with « Se connecter » / « Se déconnecter »:
    at the top of the sidebar on every page."""
    who = current()
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
