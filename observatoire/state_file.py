"""A small JSON state shared by every session and server process of one warehouse, kept in an
owner-only file beside it (the shared password's lockout, the sign-outs): never in
Streamlit's caches, which any client can empty, nor in memory, which a reload or a restart
forgets and other processes never see."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

OWNER_ONLY = 0o600
_THREAD_LOCK = threading.Lock()  # the sessions of this process; flock: other processes
T = TypeVar("T")


def update(path: Path, change: Callable[[dict], T]) -> T:
    """Run CHANGE on the state stored at PATH (an empty dict when the file is new or damaged:
    a damaged file starts anew rather than failing open), under a lock held across processes,
    and save it if CHANGE changed it. Raises OSError when the file cannot be opened."""
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
