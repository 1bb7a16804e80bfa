"""A real PostgreSQL for the DuckLake tests: started once per session in a temporary folder
on a free port (Debian's PostgreSQL 15: /usr/lib/postgresql/*/bin, or initdb on the PATH).

Without PostgreSQL the lake tests are skipped with one line saying how to install it, except
with OBSERVATOIRE_REQUIRE_LAKE=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from core.store import Lake

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from local_postgres import local_postgres, postgres_bin  # noqa: E402  (shared with the benchmarks)


@pytest.fixture(scope="session")
def postgres():
    if postgres_bin() is None:
        message = (
            "PostgreSQL introuvable : les tests DuckLake sont sautés "
            "(apt-get install postgresql, ou scripts/system-deps.sh)"
        )
        if os.environ.get("OBSERVATOIRE_REQUIRE_LAKE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with local_postgres() as server:
        yield server


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
