"""The warehouse file: opening it (read-only or for writing), and its schema version.

The one module that owns the DuckDB file; the ETL (etl/) and the dashboard (observatoire/)
both open it here. Error types carry one French sentence meant for the user.

Connections, with a wait while another holder has the file. DuckDB allows one writing
process or several reading ones. The dashboard keeps a read-only connection open between
queries (fast); a writer that has to wait announces itself in a « writer waiting » file beside
the warehouse (`<db>.writer`, holding its process id), and readers let go of their kept
connection as soon as they see it (observatoire/warehouse.py).

Schema: recorded migrations, ordered core/migrations/NNN_name.sql files, each applied once
in its own transaction and logged in schema_migrations.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class UserError(Exception):
    """An error whose message is one French sentence meant for the user (the ETL's
    EtlError: the CLI prints it, the pages show it)."""


class WarehouseBusy(UserError):
    """Another process holds the warehouse for writing."""


# No extension may be downloaded here: fail at once instead of trying the internet. Set
# after connecting, not as connection config: DuckDB shares one database instance among the
# connections of a process only when their config is identical, so a plain
# duckdb.connect(path, read_only=True) (a notebook, a test) can sit beside the dashboard's.
NO_DOWNLOADS = "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false"


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


def writer_waiting_file(path: Path) -> Path:
    return path.with_name(path.name + ".writer")


def writer_waiting(path: Path) -> bool:
    """True while a live process waits to write to the warehouse (a stale file left by a
    killed process is ignored)."""
    try:
        pid = int(writer_waiting_file(path).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


@contextmanager
def _announce_writer(path: Path) -> Iterator[None]:
    flag = writer_waiting_file(path)
    flag.write_text(str(os.getpid()))
    flag.chmod(OWNER_ONLY)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            flag.unlink()


# The warehouse holds records about people: its files are readable by their owner only.
OWNER_ONLY = 0o600


def owner_only(path: Path) -> None:
    """Make the warehouse file, its write-ahead log and the writer flag owner-only (a file
    created by an older version, or by DuckDB under a permissive umask)."""
    for file in (path, path.with_name(path.name + ".wal"), writer_waiting_file(path)):
        with contextlib.suppress(FileNotFoundError):
            if file.stat().st_mode & 0o777 != OWNER_ONLY:
                file.chmod(OWNER_ONLY)


def restrict_new_files() -> None:
    """Files this process creates from now on (the warehouse, its write-ahead log, temporary
    copies of uploads) are readable by their owner only: called first by `python -m etl` and
    by the dashboard's launcher, before anything is written."""
    os.umask(0o077)


def connect(path: Path, *, read_only: bool = False, timeout_s: float = 30.0):
    """Open the DuckDB file, retrying while another holder has a conflicting lock. A writer
    announces itself while it waits, so that the dashboard lets go of the file; the files of
    the warehouse are made owner-only."""
    if read_only:
        return _connect(path, read_only=True, timeout_s=timeout_s)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _announce_writer(path):
        con = _connect(path, read_only=False, timeout_s=timeout_s)
    owner_only(path)
    return con


def _connect(path: Path, *, read_only: bool, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            con.execute(NO_DOWNLOADS)
            return con
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


# --- schema version -----------------------------------------------------------------------


def available() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")):
        version = int(path.name[:3])
        found.append((version, path.stem[4:], path))
    return found


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def pending(applied_versions: Iterable[int]) -> list[str]:
    """NNN_name of the migrations not among these applied versions (the dashboard reads
    them from a read-only connection, which cannot create schema_migrations)."""
    done = set(applied_versions)
    return [f"{v:03d}_{name}" for v, name, _ in available() if v not in done]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations; return the names applied."""
    done = applied(con)
    names = []
    for version, name, path in available():
        if version in done:
            continue
        with transaction(con):
            con.execute(path.read_text(encoding="utf-8"))
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, datetime.now()]
            )
        names.append(f"{version:03d}_{name}")
    return names
