"""Who sees the rejected rows on the « Données » page: the gestionnaires only, in every
configuration. With sign-in, the signed-in gestionnaires. Without it, nobody, except a
session that gave the right shared upload password (OBSERVATOIRE_UPLOAD_PASSWORD) in the last
PROOF_MINUTES: the fallback's gestionnaire. The proof is kept in the session state under a
key no widget has, which a client cannot set."""

from __future__ import annotations

import time
from collections.abc import MutableMapping

PROOF_MINUTES = 30
_PROVEN_AT = "_shared_password_proven_at"


def remember_password(state: MutableMapping, now: float | None = None) -> None:
    """The session gave the right shared password (call after the guard said « ok »)."""
    state[_PROVEN_AT] = time.monotonic() if now is None else now


def may_see_rejects(
    sign_in: bool, gestionnaire: bool, state: MutableMapping, now: float | None = None
) -> bool:
    if sign_in:
        return gestionnaire
    proven_at = state.get(_PROVEN_AT)
    now = time.monotonic() if now is None else now
    return isinstance(proven_at, float) and 0 <= now - proven_at < PROOF_MINUTES * 60


def hidden_notice(sign_in: bool, password: bool) -> str:
    """What a reader is told instead of the rejected rows (PASSWORD: the shared upload
    password is configured)."""
    if sign_in:
        return "Les lignes rejetées et leurs motifs sont visibles par les gestionnaires connectés."
    return (
        "Les lignes rejetées et leurs motifs sont réservés aux gestionnaires : "
        + ("ils s'affichent après un dépôt avec le mot de passe de dépôt, ou " if password else "")
        + "en ligne de commande (« python -m etl rejects »)."
    )
