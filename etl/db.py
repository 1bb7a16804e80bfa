"""Connections to the warehouse for writing, with a wait while another process holds it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from etl.errors import WarehouseBusy

# No extension may be downloaded here: fail at once instead of trying the internet.
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def _is_lock_error(exc: duckdb.Error) -> bool:
    """Another holder of the file: another process (file lock), or, in this process, a
    connection opened the other way (the dashboard's short read-only queries while an upload
    writes, and the reverse). Both pass: wait for them."""
    text = str(exc).lower()
    return (
        "lock" in text
        or "conflicting" in text
        or "being used" in text
        or "different configuration" in text
    )


def connect(path: Path, *, read_only: bool = False, timeout_s: float = 30.0):
    """Open the DuckDB file, retrying while another process holds a conflicting lock."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))
        except duckdb.Error as exc:  # IOException on lock conflicts
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                if _is_lock_error(exc):
                    raise WarehouseBusy(
                        f"L'entrepôt {path} est occupé (un chargement ou une lecture en "
                        "cours) ; réessayez dans quelques instants."
                    ) from exc
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@contextmanager
def writer(path: Path, timeout_s: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, timeout_s=timeout_s)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: commit on success, roll back on any exception."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()
