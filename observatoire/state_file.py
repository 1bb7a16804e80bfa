"""A small JSON state shared by every session and server process of one warehouse (the shared
password's lockout, the sign-outs): never in Streamlit's caches, which any client can empty,
nor in memory, which a reload or a restart forgets and other processes never see. Beside a
warehouse file, an owner-only file; on a DuckLake, a row of its PostgreSQL catalog
(core/store.py), which every server of every machine reaches."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from core import store
from core.settings import get_settings

OWNER_ONLY = 0o600
_THREAD_LOCK = threading.Lock()  # the sessions of this process; flock: other processes
T = TypeVar("T")


@dataclass(frozen=True)
class CatalogState:
    """The state NAME kept in the catalog of LAKE."""

    lake: store.Lake
    name: str


Place = Path | CatalogState


def for_warehouse(name: str) -> Place:
    """Where the configured warehouse keeps its state NAME: `<db>.NAME.json` beside a
    warehouse file, a catalog row on a DuckLake."""
    settings = get_settings()
    where = settings.warehouse
    if isinstance(where, store.Lake):
        return CatalogState(where, name)
    return settings.db.with_name(f"{settings.db.name}.{name}.json")


def read(place: Place) -> dict:
    """The state stored at PLACE (empty when there is none yet)."""
    return update(place, dict)


def clear(place: Place) -> None:
    """Forget the state stored at PLACE."""
    if isinstance(place, CatalogState):
        update(place, lambda state: state.clear())
    else:
        with _THREAD_LOCK:
            place.unlink(missing_ok=True)


def update(path: Place, change: Callable[[dict], T]) -> T:
    """Run CHANGE on the state stored at PATH (an empty dict when the file is new or damaged:
    a damaged file starts anew rather than failing open), under a lock held across processes,
    and save it if CHANGE changed it. Raises OSError when the file (or the catalog) cannot be
    reached."""
    if isinstance(path, CatalogState):
        return store.update_catalog_state(path.lake, path.name, change)
    with _THREAD_LOCK:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY)
        with os.fdopen(fd, "r+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                state = json.loads(file.read() or "{}")
            except ValueError:
                state = {}
            if not isinstance(state, dict):
                state = {}
            before = json.dumps(state, sort_keys=True)
            result = change(state)
            if json.dumps(state, sort_keys=True) != before:
                file.seek(0)
                file.truncate()
                file.write(json.dumps(state))
                file.flush()
                os.fsync(file.fileno())
            os.fchmod(file.fileno(), OWNER_ONLY)
            return result
