"""A real PostgreSQL for the DuckLake tests: started once per session in a temporary folder
on a free port (Debian's PostgreSQL 15: /usr/lib/postgresql/*/bin, or initdb on the PATH).

Without PostgreSQL the lake tests are skipped with one line saying how to install it, except
with OBSERVATOIRE_REQUIRE_LAKE=1 (CI), where they fail.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.store import Lake


def _postgres_bin() -> Path | None:
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


@dataclass
class Postgres:
    port: int
    root: Path
    _count = itertools.count(1)

    def conninfo(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user=observatoire"

    def new_lake(self, data_root: Path) -> Lake:
        """A new, empty DuckLake: a database of its own, its Parquet files under data_root."""
        import psycopg

        name = f"lake_{os.getpid()}_{next(self._count)}"
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as pg:
            pg.execute(f"CREATE DATABASE {name}")
        return Lake(self.conninfo(name), str(data_root / name) + "/")


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@pytest.fixture(scope="session")
def postgres():
    folder = _postgres_bin()
    if folder is None:
        message = (
            "PostgreSQL introuvable : les tests DuckLake sont sautés "
            "(apt-get install postgresql, ou scripts/system-deps.sh)"
        )
        if os.environ.get("OBSERVATOIRE_REQUIRE_LAKE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's own temporary folder: the postgres user must reach it.
    root = Path(tempfile.mkdtemp(prefix="observatoire-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        _as_postgres(
            [
                str(folder / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "observatoire",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),  # fmt: skip
        **run,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres(
            [
                str(folder / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ]
        ),  # fmt: skip
        **run,
    )
    try:
        yield Postgres(port, root)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(
                _as_postgres([str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                **run,
            )
        time.sleep(0.2)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def lake(postgres, tmp_path) -> Lake:
    """A new, empty DuckLake (no schema yet)."""
    return postgres.new_lake(tmp_path)


@pytest.fixture(scope="session")
def demo_lake(postgres, tmp_path_factory) -> Lake:
    """A DuckLake built by `init` with the demonstration records (read by the tests: do not
    write to it)."""
    from etl.build import init_warehouse

    made = postgres.new_lake(tmp_path_factory.mktemp("demo-lake"))
    init_warehouse(made, with_demo=True)
    return made


@pytest.fixture
def use_lake(monkeypatch):
    """Point the settings (and so the query layer) at LAKE."""
    from observatoire import warehouse

    def _use(lake: Lake) -> Lake:
        monkeypatch.setenv("OBSERVATOIRE_LAKE_CATALOG", lake.catalog)
        monkeypatch.setenv("OBSERVATOIRE_LAKE_DATA", lake.data)
        warehouse._cached.clear()
        warehouse.READER.release()
        return lake

    return _use


def lake_env(lake: Lake) -> dict[str, str]:
    """The environment of a `python -m etl` process on LAKE."""
    return {
        **os.environ,
        "OBSERVATOIRE_LAKE_CATALOG": lake.catalog,
        "OBSERVATOIRE_LAKE_DATA": lake.data,
    }
