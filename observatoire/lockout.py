"""The shared upload password's lockout (OBSERVATOIRE_UPLOAD_PASSWORD): after MAX_FAILURES
wrong attempts in a row, every attempt (even a right one) is refused for LOCK_MINUTES.

The count lives in a small owner-only file next to the warehouse, never in st.cache_resource
or st.cache_data: any client can empty those caches (Streamlit's « clear_cache » message over
the websocket). A module-level object would not do either: Streamlit's file watcher (on by
default, runOnSave or not) drops every project module from sys.modules once a project file
changes, a restart forgets it, and each server process behind a load balancer would keep its
own count. The file is shared by every session, tab and server process using the same
warehouse, survives restarts, and only someone who can write the warehouse folder can reset
it. An advisory lock (fcntl.flock) serialises processes; a threading lock, the sessions of
one process. If the folder cannot be written, the count falls back to this process's memory.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from observatoire import state_file

MAX_FAILURES = 5
LOCK_MINUTES = 15
_LOGGER = logging.getLogger(__name__)
_THREAD_LOCK = threading.Lock()


STATE_NAME = "mot-de-passe"


def guard_path(db: Path) -> Path:
    """The lockout file of the warehouse DB: `observatoire.duckdb.mot-de-passe.json`."""
    return db.with_name(f"{db.name}.{STATE_NAME}.json")


class PasswordGuard:
    """Counts wrong shared-password attempts. With PATH, the count is kept in that file
    (shared by processes); without, in this object (unit tests)."""

    def __init__(
        self,
        path: state_file.Place | None = None,
        max_failures: int = MAX_FAILURES,
        lock_s: float = LOCK_MINUTES * 60,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.path, self.max_failures, self.lock_s = path, max_failures, lock_s
        # Wall-clock time in a file (read by other processes), monotonic in memory.
        self.clock = clock or (time.time if path else time.monotonic)
        self._memory = {"failures": 0, "locked_until": 0.0}

    def _update(self, change: Callable[[dict], str | float]) -> str | float:
        """Run CHANGE on the state {failures, locked_until} under both locks and save it."""
        with _THREAD_LOCK:
            if self.path is None:
                return change(self._memory)
            try:
                return self._update_file(change)
            except OSError as error:
                _LOGGER.warning("Compteur du mot de passe en mémoire seulement : %s", error)
                return change(self._memory)

    def _update_file(self, change: Callable[[dict], str | float]) -> str | float:
        def typed(stored: dict) -> str | float:
            state = {
                "failures": int(stored.get("failures", 0)),
                "locked_until": float(stored.get("locked_until", 0.0)),
            }
            result = change(state)
            stored.clear()
            stored.update(state)
            return result

        return state_file.update(self.path, typed)

    def locked_for_s(self) -> float:
        """Seconds before attempts are accepted again (0 when not locked)."""
        return float(self._update(lambda s: max(0.0, s["locked_until"] - self.clock())))

    def check(self, given: str, expected: str) -> str:
        """« ok », « wrong » or « locked » (nothing is compared while locked)."""

        def attempt(state: dict) -> str:
            now = self.clock()
            if now < state["locked_until"]:
                return "locked"
            if hmac.compare_digest(given.encode(), expected.encode()):
                state["failures"] = 0
                return "ok"
            state["failures"] += 1
            if state["failures"] >= self.max_failures:
                state["failures"] = 0
                state["locked_until"] = now + self.lock_s
                return "locked"
            return "wrong"

        return str(self._update(attempt))

    def message(self, outcome: str) -> str | None:
        """The French sentence for an outcome of check (None for « ok »)."""
        if outcome == "wrong":
            return "Mot de passe de dépôt incorrect."
        if outcome == "locked":
            minutes = max(1, round(self.locked_for_s() / 60 + 0.49))
            return (
                f"Trop de mots de passe erronés ({self.max_failures} essais) : le dépôt par mot "
                f"de passe est verrouillé sur ce serveur pendant encore {minutes} minute"
                f"{'s' if minutes > 1 else ''}."
            )
        return None


def password_guard() -> PasswordGuard:
    """The guard of the configured warehouse, shared by every session, tab, process and (on a
    DuckLake) server."""
    return PasswordGuard(state_file.for_warehouse(STATE_NAME))


def reset() -> None:
    """Forget the count and any lock (tests; an administrator may also delete the file)."""
    with _THREAD_LOCK:
        state_file.clear(state_file.for_warehouse(STATE_NAME))


# The name the tests used when the guard was an st.cache_resource function.
password_guard.clear = reset  # type: ignore[attr-defined]
