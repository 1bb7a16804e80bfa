"""Shared fixtures: tiny real warehouses built by the real ETL in a temporary folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from etl.warehouse import init_warehouse

ROOT = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "observatoire.duckdb"
    init_warehouse(db, with_demo=True)
    return db


@pytest.fixture(scope="session")
def _empty_template(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("empty") / "observatoire.duckdb"
    init_warehouse(db, with_demo=False)
    return db


@pytest.fixture
def demo_db(_demo_template, tmp_path) -> Path:
    """A warehouse with reference data and the seeded demonstration records (a private copy)."""
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(_demo_template, db)
    return db


@pytest.fixture
def empty_db(_empty_template, tmp_path) -> Path:
    """A warehouse with reference data, programmes and targets, and no records."""
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(_empty_template, db)
    return db


def drop_contours(db: Path) -> Path:
    """Make DB a warehouse without commune contours, as one built before they were committed
    (init and migrate load them; the map falls back to its schematic tiles without them)."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.execute("DELETE FROM boundaries")
        con.execute("DELETE FROM loads WHERE kind = 'boundaries'")
    finally:
        con.close()
    return db


@pytest.fixture
def schematic_db(demo_db) -> Path:
    """The demonstration warehouse without contours: the map draws its schematic tiles."""
    return drop_contours(demo_db)


@pytest.fixture
def use_db(monkeypatch):
    """Point the query layer at a warehouse (and forget cached results of other tests)."""
    from observatoire import warehouse

    def _use(db: Path) -> Path:
        monkeypatch.setenv("OBSERVATOIRE_DB", str(db))
        warehouse._cached.clear()
        warehouse.READER.release()
        return db

    return _use


@pytest.fixture
def app(demo_db, use_db):
    """An AppTest of app.py on the demonstration warehouse. Its pages live in views/, not
    pages/, which Streamlit would take for its legacy multipage mode."""
    from streamlit.testing.v1 import AppTest

    use_db(demo_db)
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


@pytest.fixture
def schematic_app(schematic_db, use_db):
    """An AppTest of app.py on the demonstration warehouse without contours."""
    from streamlit.testing.v1 import AppTest

    use_db(schematic_db)
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the system Chromium (image export, browser tests). Skips without it, except
    with OBSERVATOIRE_REQUIRE_BROWSER=1 (CI), where a missing Chromium fails the test."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "Chromium introuvable : apt-get install chromium"
    if os.environ.get("OBSERVATOIRE_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)
