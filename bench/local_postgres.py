"""A throwaway PostgreSQL (Debian's, /usr/lib/postgresql/*/bin) in a temporary folder on a free
port, for the DuckLake tests and benchmarks; as root it runs as the postgres user.

    .venv/bin/python bench/local_postgres.py   # one to try the lake by hand (Ctrl-C stops it)
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.store import Lake


def postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Postgres:
    port: int
    root: Path
    _count: itertools.count = field(default_factory=lambda: itertools.count(1))

    def conninfo(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user=observatoire"

    def new_lake(self, data_root: Path) -> Lake:
        """A new, empty DuckLake: a database of its own, its Parquet files under data_root."""
        import psycopg

        name = f"lake_{os.getpid()}_{next(self._count)}"
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as pg:
            pg.execute(f"CREATE DATABASE {name}")
        return Lake(self.conninfo(name), str(Path(data_root) / name) + "/")


@contextlib.contextmanager
def local_postgres() -> Iterator[Postgres]:
    """Start PostgreSQL (initdb, pg_ctl) and stop it afterwards; FileNotFoundError when it
    is not installed."""
    folder = postgres_bin()
    if folder is None:
        raise FileNotFoundError("PostgreSQL introuvable (apt-get install postgresql)")
    # Not under a private temporary folder: the postgres user must reach it.
    root = Path(tempfile.mkdtemp(prefix="observatoire-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    initdb = [str(folder / "initdb"), "-D", str(data), "-A", "trust", "-U", "observatoire"]
    subprocess.run(_as_postgres([*initdb, "-E", "UTF8", "--no-sync"]), **run)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [str(folder / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        _as_postgres([*pg_ctl, "-o", options, "-l", str(root / "log"), "-w", "start"]), **run
    )
    try:
        yield Postgres(port, root)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(_as_postgres([*pg_ctl, "-m", "immediate", "stop"]), **run)
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    """Start one for trying the lake by hand: prints the settings to export, stops on Ctrl-C."""
    import time

    with local_postgres() as server:
        import psycopg

        with psycopg.connect(server.conninfo("postgres"), autocommit=True) as pg:
            pg.execute("CREATE DATABASE observatoire")
        print(f'export OBSERVATOIRE_LAKE_CATALOG="{server.conninfo("observatoire")}"')
        print(f"export OBSERVATOIRE_LAKE_DATA={server.root}/donnees/")
        print("PostgreSQL tourne ; Ctrl-C l'arrête (et efface tout).", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
