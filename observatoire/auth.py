"""Who is using the dashboard, and what they may do: the roles, without Streamlit.

Sign-in is Streamlit's OpenID Connect, read by webapp/identity.py (st.user, filled on the
server from a cookie Streamlit signed itself: neither widget state nor the page's address can
change it), which hands the claims to `resolve` on every run of every page:

- ``lecteur``: anyone, signed in or not: small counts masked, no upload;
- ``gestionnaire``: a verified e-mail listed in OBSERVATOIRE_GESTIONNAIRES (address or
  @domain): loads, replaces and removes loads on the « Données » page, sees the rejects;
- ``interne``: a verified e-mail listed in OBSERVATOIRE_INTERNES: exact counts on screen and
  in exports. OBSERVATOIRE_INTERNAL_MODE=1 makes everyone interne (deployments without
  sign-in on a closed network).

Without sign-in, the shared upload password (OBSERVATOIRE_UPLOAD_PASSWORD) remains the
fallback for loading files; it locks for LOCK_MINUTES after MAX_FAILURES wrong attempts
(``PasswordGuard``, observatoire/lockout.py: its count is kept in a file next to the
warehouse, which no client can clear, unlike st.cache_resource).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.settings import Settings, get_settings
from observatoire.lockout import LOCK_MINUTES, MAX_FAILURES, PasswordGuard  # noqa: F401

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
