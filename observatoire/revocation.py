"""Sign-out that holds on the server side.

Streamlit (1.67) keeps the signed-in identity in a cookie it signs itself, valid 30 days
(`AUTH_COOKIE_MAX_AGE_SECONDS`, not configurable); st.logout() only asks the browser to drop
it, so a copy of the cookie taken before sign-out keeps working. The cookie holds the ID
token's claims, `iat` (issued at, seconds since the epoch; required by OpenID Connect)
included, and st.user exposes them. So:

- signing out with the sidebar button records « this person signed out at T » in an
  owner-only file next to the warehouse (a file, not memory: several server processes may
  serve the same dashboard, and a restart must not forget it);
- an identity whose token was issued at or before its person's last sign-out is signed out
  again (st.logout()) and treated as anonymous;
- an identity whose token is older than MAX_SESSION_HOURS is signed out too: a server-side
  session lifetime far shorter than the cookie's 30 days.

A token without `iat` cannot be dated: it is refused while its person has a recorded
sign-out. Entries older than the cookie lifetime are dropped (no cookie can predate them).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

from observatoire import state_file

MAX_SESSION_HOURS = 12
COOKIE_LIFETIME_S = 30 * 24 * 3600  # Streamlit's AUTH_COOKIE_MAX_AGE_SECONDS


STATE_NAME = "deconnexions"


def revocation_path(db: Path) -> Path:
    """The sign-out file of the warehouse DB: `observatoire.duckdb.deconnexions.json`."""
    return db.with_name(f"{db.name}.{STATE_NAME}.json")


def person_key(claims: Mapping) -> str | None:
    """Who the claims are about: the provider's subject (`iss` and `sub`, which nobody
    chooses, unlike an unverified e-mail), else the e-mail."""
    if claims.get("sub"):
        return f"{claims.get('iss') or ''} {claims['sub']}"
    email = claims.get("email")
    return f"email {str(email).strip().lower()}" if email else None


def _issued_at(claims: Mapping) -> float | None:
    value = claims.get("iat")
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            return float(str(value)) if value is not None else None
        except ValueError:
            return None
    return float(value)


def _read(path: state_file.Place) -> dict[str, float]:
    if isinstance(path, Path):  # read without creating the file nor taking its lock
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
    else:
        data = state_file.read(path)
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record_sign_out(claims: Mapping, path: state_file.Place, now: float | None = None) -> None:
    """Remember that the person of CLAIMS signed out at NOW (every copy of their cookie
    issued until then stops working)."""
    key = person_key(claims)
    if key is None:
        return
    now = time.time() if now is None else now

    def add(table: dict) -> None:
        kept = {k: float(v) for k, v in table.items() if float(v) > now - COOKIE_LIFETIME_S}
        kept[key] = max(now, kept.get(key, 0.0))
        table.clear()
        table.update(kept)

    state_file.update(path, add)


def is_revoked(
    claims: Mapping | None,
    path: state_file.Place,
    now: float | None = None,
    max_session_s: float = MAX_SESSION_HOURS * 3600,
) -> bool:
    """True if CLAIMS (st.user's) are a signed-in identity that must count as signed out:
    issued at or before its person's last sign-out, or more than MAX_SESSION_S ago."""
    if not claims or claims.get("is_logged_in") is not True:
        return False
    now = time.time() if now is None else now
    issued = _issued_at(claims)
    if issued is not None and issued < now - max_session_s:
        return True
    key = person_key(claims)
    signed_out_at = _read(path).get(key) if key else None
    if signed_out_at is None:
        return False
    return issued is None or issued <= signed_out_at


def sign_out(claims: Mapping) -> None:
    """Record the sign-out of the configured warehouse's dashboard (sidebar button)."""
    record_sign_out(claims, state_file.for_warehouse(STATE_NAME))


def signed_out(claims: Mapping | None) -> bool:
    """True if these st.user claims must be treated as signed out (see is_revoked)."""
    return is_revoked(claims, state_file.for_warehouse(STATE_NAME))
