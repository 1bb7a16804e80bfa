"""The warehouse: opening it (read-only or for writing), and its schema version.

The one module that owns the warehouse; the ETL (etl/) and the dashboard (observatoire/)
both open it here. It is a DuckDB file (a Path, the default) or a DuckLake (Lake: a catalog in
PostgreSQL, Parquet files on a shared path or S3), set by core/settings.py; both are read and
written with the same SQL. Error types carry one French sentence meant for the user.

Connections, with a wait while another holder has the file. DuckDB allows one writing
process or several reading ones. The dashboard keeps a read-only connection open between
queries (fast); a writer that has to wait announces itself in a « writer waiting » file beside
the warehouse (`<db>.writer`, holding its process id), and readers let go of their kept
connection as soon as they see it (observatoire/warehouse.py).

On a DuckLake, readers never wait (each query reads the latest committed snapshot) and
writers are serialised by a PostgreSQL advisory lock held by the writer's own session: it
dies with the process, and DuckLake's concurrent commits have open bugs (duckdb/ducklake
issues 1094, 1198, 1248). A killed writer commits nothing; its Parquet files are orphans
that `python -m etl entretien` deletes.

Schema: recorded migrations, ordered core/migrations/NNN_name.sql files, each applied once
in its own transaction and logged in schema_migrations, by version number: rewriting an
applied migration changes nothing in the warehouses that applied it. DuckLake has no PRIMARY
KEY, UNIQUE or SEQUENCE, so the migrations declare none; KEYS lists the unique columns, which
the loaders check (check_keys), and load numbers are taken under the writer's lock. Warehouse
files created before keep their primary keys and load_id_seq: harmless, and unused.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
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


# --- the DuckLake ----------------------------------------------------------------------------

LAKE_NAME = "lake"  # the catalog's name in every lake connection (USE lake)
# pg_advisory_lock key of the lake's writers: "obs93" in ASCII.
WRITER_LOCK_KEY = 0x6F62733933
# The extension wheels (pyproject.toml) by package, with the name DuckDB derives the entry point
# from; no extension is ever downloaded.
EXTENSIONS = {"ducklake": "ducklake", "postgres": "postgres_scanner", "httpfs": "httpfs"}
REMOTE_PREFIXES = ("s3://", "s3a://", "gs://", "gcs://", "r2://", "http://", "https://")


@dataclass(frozen=True)
class Lake:
    """A DuckLake: its catalog in the PostgreSQL database `catalog` (a libpq connection
    string), its Parquet files under `data` (a directory, or s3://… through httpfs)."""

    catalog: str
    data: str

    def __str__(self) -> str:
        shown = re.sub(r"password\s*=\s*\S+", "password=…", self.catalog)
        return f"DuckLake « {shown} » ({self.data})"

    @property
    def remote(self) -> bool:
        return self.data.lower().startswith(REMOTE_PREFIXES)

    def exists(self) -> bool:
        """True once a writer created the lake (its catalog tables exist)."""
        return bool(_catalog_value(self, "SELECT to_regclass('ducklake_snapshot') IS NOT NULL"))

    def snapshot(self) -> int:
        """The latest committed snapshot: changes with every commit (the pages' cache key)."""
        return _catalog_value(self, "SELECT coalesce(max(snapshot_id), -1) FROM ducklake_snapshot")


Location = Path | Lake


_catalog_lock = threading.Lock()
_catalog_sessions: dict[str, object] = {}


def _pg_connect(lake: Lake, application: str):
    import psycopg  # only a lake needs it

    try:
        return psycopg.connect(
            lake.catalog, autocommit=True, connect_timeout=10, application_name=application
        )
    except psycopg.Error as exc:
        raise UserError(
            f"Le catalogue PostgreSQL du {lake} est injoignable ({_first_line(exc)}) : "
            "vérifiez OBSERVATOIRE_LAKE_CATALOG et que PostgreSQL tourne."
        ) from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _catalog_value(lake: Lake, sql: str):
    """One value read from the catalog through a session kept by this process (a page asks
    for the snapshot before every query: no new connection each time)."""
    import psycopg

    with _catalog_lock:
        for attempt in (1, 2):
            session = _catalog_sessions.get(lake.catalog)
            if session is None or session.closed:
                session = _catalog_sessions[lake.catalog] = _pg_connect(lake, "observatoire")
            try:
                return session.execute(sql).fetchone()[0]
            except psycopg.OperationalError:  # PostgreSQL restarted: one new session
                session.close()
                if attempt == 2:
                    raise
    raise AssertionError("unreachable")


# The dashboard's small shared states (the shared password's lockout, the sign-outs) on a
# lake: a row each in the catalog database, so that replicas on several machines share them
# (observatoire/state_file.py keeps them in a file beside a warehouse file).
_STATE_TABLE = """CREATE TABLE IF NOT EXISTS observatoire_etat (
    nom text PRIMARY KEY, etat jsonb NOT NULL DEFAULT '{}'::jsonb)"""


def update_catalog_state(lake: Lake, name: str, change: Callable[[dict], object]):
    """Run CHANGE on the state NAME kept in LAKE's catalog, the row locked (FOR UPDATE) so
    that two servers never interleave, and save it if CHANGE changed it. Raises OSError when
    the catalog cannot be reached (the callers' fallback, as for a file)."""
    import psycopg
    from psycopg.types.json import Jsonb

    key = lake.catalog + "#etat"
    with _catalog_lock:
        try:
            session = _catalog_sessions.get(key)
            if session is None or session.closed:
                session = _catalog_sessions[key] = _pg_connect(lake, "observatoire-etat")
                session.execute(_STATE_TABLE)
            with session.transaction():
                session.execute(
                    "INSERT INTO observatoire_etat (nom) VALUES (%s) ON CONFLICT DO NOTHING",
                    [name],
                )
                stored = session.execute(
                    "SELECT etat FROM observatoire_etat WHERE nom = %s FOR UPDATE", [name]
                ).fetchone()[0]
                state = stored if isinstance(stored, dict) else {}
                before = json.dumps(state, sort_keys=True)
                result = change(state)
                if json.dumps(state, sort_keys=True) != before:
                    session.execute(
                        "UPDATE observatoire_etat SET etat = %s WHERE nom = %s",
                        [Jsonb(state), name],
                    )
            return result
        except (psycopg.Error, UserError) as exc:
            _catalog_sessions.pop(key, None)
            raise OSError(f"état « {name} » du catalogue : {_first_line(exc)}") from exc


@cache
def extension_dir() -> Path:
    """A private folder linking the extension wheels' files under the names DuckDB expects:
    it derives the entry point from the file name, and the postgres wheel's file is
    postgres.duckdb_extension while its entry point is postgres_scanner's."""
    version = duckdb.__version__
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "observatoire" / f"duckdb-{version}-extensions"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:  # no writable home (a service account): a private temporary folder
        folder = Path(tempfile.mkdtemp(prefix="observatoire-extensions-"))
    for package, name in EXTENSIONS.items():
        spec = importlib.util.find_spec(f"duckdb_extension_{package}")
        files = (
            list(Path(spec.submodule_search_locations[0]).glob(f"extensions/v{version}/*"))
            if spec is not None
            else []
        )
        if not files:
            raise UserError(
                f"L'extension DuckDB « {package} » pour duckdb {version} manque : lancez "
                f"« make install » (paquet duckdb-extension-{package}=={version})."
            )
        link = folder / f"{name}.duckdb_extension"
        if not link.exists() or link.resolve() != files[0].resolve():
            staged = folder / f".{name}.{os.getpid()}.{threading.get_ident()}"
            staged.unlink(missing_ok=True)
            staged.symlink_to(files[0])
            staged.replace(link)  # atomic: other processes see the old link or the new one
    return folder


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _s3_secret(con: duckdb.DuckDBPyConnection) -> None:
    """httpfs' S3 settings from the usual AWS_* variables, when they are set."""
    env = os.environ
    if not env.get("AWS_ACCESS_KEY_ID"):
        return
    options = {
        "KEY_ID": env["AWS_ACCESS_KEY_ID"],
        "SECRET": env.get("AWS_SECRET_ACCESS_KEY", ""),
        "REGION": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
    }
    endpoint = env.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["ENDPOINT"] = re.sub(r"^https?://", "", endpoint)
        options["URL_STYLE"] = "path"
        options["USE_SSL"] = "false" if endpoint.startswith("http://") else "true"
    body = ", ".join(f"{k} {v}" if k == "USE_SSL" else f"{k} {_lit(v)}" for k, v in options.items())
    con.execute(f"CREATE OR REPLACE SECRET observatoire_s3 (TYPE s3, {body})")


class WriterConnection:
    """A writing DuckDB connection that holds the warehouse's writer lock until it is closed
    (everything else is the DuckDB connection's own)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, release: Callable[[], None]) -> None:
        self._con, self._release = con, release

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def close(self) -> None:
        try:
            self._con.close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _writer_lock(lake: Lake, timeout_s: float):
    """The lake's writer lock: a session-level advisory lock on a PostgreSQL session of this
    process, released when it is closed or when the process dies (PostgreSQL ends the
    session). Waits up to timeout_s for another writer."""
    session = _pg_connect(lake, "observatoire-ecriture")
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while not session.execute("SELECT pg_try_advisory_lock(%s)", [WRITER_LOCK_KEY]).fetchone()[0]:
        if time.monotonic() >= deadline:
            session.close()
            raise WarehouseBusy(
                f"L'entrepôt {lake} est occupé par un autre chargement ; réessayez dans "
                "quelques instants."
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    return session


_lake_instances: dict[Lake, duckdb.DuckDBPyConnection] = {}
_lake_instances_lock = threading.Lock()


def _lake_instance(lake: Lake) -> duckdb.DuckDBPyConnection:
    """This process's DuckDB instance with the lake attached: loading the extensions and
    attaching the catalog take a second or more, so it is done once and every connection is
    a cursor of it (its own transactions, temporary tables and macros)."""
    with _lake_instances_lock:
        base = _lake_instances.get(lake)
        if base is not None:
            return base
        base = duckdb.connect(
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
        )
        try:
            folder = extension_dir()
            for name in ("postgres_scanner", "ducklake") + (("httpfs",) if lake.remote else ()):
                base.execute(f"LOAD {_lit(str(folder / f'{name}.duckdb_extension'))}")
            if lake.remote:
                _s3_secret(base)
            else:
                Path(lake.data).mkdir(parents=True, exist_ok=True)
            base.execute(
                f"ATTACH {_lit('ducklake:postgres:' + lake.catalog)} AS {LAKE_NAME} "
                f"(DATA_PATH {_lit(lake.data)})"
            )
        except BaseException:
            base.close()
            raise
        _lake_instances[lake] = base
        return base


def _connect_lake(lake: Lake, *, read_only: bool, timeout_s: float):
    """A connection to the lake (USE lake); for writing, holding the writer lock. Readers
    are not stopped from writing by DuckDB: only the writers' code writes, under the lock."""
    session = None if read_only else _writer_lock(lake, timeout_s)
    try:
        con = _lake_instance(lake).cursor()
        con.execute(f"USE {LAKE_NAME}")
    except BaseException as exc:
        if session is not None:
            session.close()
        if isinstance(exc, duckdb.Error):
            raise UserError(f"Le {lake} n'a pas pu être ouvert : {_first_line(exc)}") from exc
        raise
    return con if session is None else WriterConnection(con, session.close)


def cursor(con: duckdb.DuckDBPyConnection, path: Location):
    """A new cursor of CON, on the warehouse: a lake connection's cursors start on the
    in-memory catalog (USE lake)."""
    new = con.cursor()
    if isinstance(path, Lake):
        new.execute(f"USE {LAKE_NAME}")
    return new


def location(value: Location | str) -> Location:
    """A Lake as it is; anything else is a file path."""
    return value if isinstance(value, Lake) else Path(value)


# --- the file -------------------------------------------------------------------------------


def writer_waiting_file(path: Path) -> Path:
    return path.with_name(path.name + ".writer")


def writer_waiting(path: Location) -> bool:
    """True while a live process waits to write to the warehouse file (a stale file left by
    a killed process is ignored). Never on a lake: its readers do not block writers."""
    if isinstance(path, Lake):
        return False
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


def connect(path: Location, *, read_only: bool = False, timeout_s: float = 30.0):
    """Open the warehouse. A file: retrying while another holder has a conflicting lock; a
    writer announces itself while it waits, so that the dashboard lets go of the file; the
    files of the warehouse are made owner-only. A lake: see _connect_lake.

    A writing connection holds the writer lock (the file's, or the lake's advisory lock, and
    within this process a lock of its own: two sessions of the dashboard uploading at once
    take turns) until it is closed: load numbers are taken under it."""
    if read_only:
        if isinstance(path, Lake):
            return _connect_lake(path, read_only=True, timeout_s=timeout_s)
        return _connect(path, read_only=True, timeout_s=timeout_s)
    release = _process_writer_lock(path, timeout_s)
    try:
        if isinstance(path, Lake):
            con = _connect_lake(path, read_only=False, timeout_s=timeout_s)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with _announce_writer(path):
                con = _connect(path, read_only=False, timeout_s=timeout_s)
            owner_only(path)
    except BaseException:
        release()
        raise
    if isinstance(con, WriterConnection):
        inner = con._release
        con._release = lambda: (inner(), release())
        return con
    return WriterConnection(con, release)


_process_writers: dict[str, threading.Lock] = {}
_process_writers_lock = threading.Lock()


def _process_writer_lock(path: Location, timeout_s: float) -> Callable[[], None]:
    """Within this process, one writer at a time per warehouse: DuckDB lets the connections
    of one process to one file write together, and the next load number would be taken twice."""
    key = str(path.resolve()) if isinstance(path, Path) else path.catalog
    with _process_writers_lock:
        lock = _process_writers.setdefault(key, threading.Lock())
    if not lock.acquire(timeout=max(timeout_s, 0.0)):
        raise WarehouseBusy(
            f"L'entrepôt {path} est occupé (un autre chargement de ce serveur) ; réessayez "
            "dans quelques instants."
        )
    return lock.release


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
def writer(path: Location, timeout_s: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
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

# The unique columns of each table: DuckLake enforces no key, so the loaders check these
# (check_keys) inside their transaction, before committing.
KEYS = {
    "sources": ("id",),
    "epts": ("code",),
    "communes": ("code",),
    "commune_codes": ("code",),
    "loads": ("load_id",),
    "programmes": ("id",),
    "boundaries": ("level", "code"),
    "indicators": ("id",),
    "schema_migrations": ("version",),
}


def check_keys(con: duckdb.DuckDBPyConnection, tables: Iterable[str] | None = None) -> None:
    """Raise UserError if a key of KEYS (of these tables; default all) is held by two rows:
    called inside a writer's transaction, which then rolls back."""
    for table in tables or KEYS:
        columns = ", ".join(f'"{c}"' for c in KEYS[table])
        row = con.execute(
            f"SELECT {columns} FROM {table} GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
        if row is not None:
            raise UserError(
                f"Deux lignes de la table {table} auraient la même clé "
                f"({', '.join(map(str, row))}) : rien n'a été enregistré."
            )


def available() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")):
        version = int(path.name[:3])
        found.append((version, path.stem[4:], path))
    return found


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def pending(applied_versions: Iterable[int]) -> list[str]:
    """NNN_name of the migrations not among these applied versions (the dashboard reads
    them from a read-only connection, which cannot create schema_migrations)."""
    done = set(applied_versions)
    return [f"{v:03d}_{name}" for v, name, _ in available() if v not in done]


def migrate(con: duckdb.DuckDBPyConnection, only: Iterable[int] | None = None) -> list[str]:
    """Apply pending migrations (those of `only`, when given: an import first builds the
    schema its data was exported from); return the names applied."""
    done = applied(con)
    wanted = None if only is None else set(only)
    names = []
    for version, name, path in available():
        if version in done or (wanted is not None and version not in wanted):
            continue
        with transaction(con):
            con.execute(path.read_text(encoding="utf-8"))
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, datetime.now()]
            )
        names.append(f"{version:03d}_{name}")
    return names
