"""Who this run is for, as far as small counts go: whether exact counts may be shown.

The glue (app.py, webapp/identity.py) resolves it once at the top of each script run from
the signed-in person's role and sets it here; observatoire/disclosure.py reads it. A
ContextVar, not a module global: Streamlit runs each session's script in its own thread, so a
value set for one session never reaches another. The default is the safe one (counts
masked), for any code that runs outside a resolved run (a thread Streamlit starts for a
download, a script); OBSERVATOIRE_INTERNAL_MODE=1 still makes everyone interne.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from core.settings import get_settings

_EXACT_COUNTS: ContextVar[bool] = ContextVar("observatoire_exact_counts", default=False)


def exact_counts() -> bool:
    """True when this run may see exact small counts: an interne, or internal mode."""
    return _EXACT_COUNTS.get() or get_settings().internal_mode


def set_exact_counts(exact: bool) -> Token:
    """Set for the rest of this run (its thread's context); returns the token to reset it."""
    return _EXACT_COUNTS.set(bool(exact))


def reset(token: Token) -> None:
    _EXACT_COUNTS.reset(token)
