"""Shared fixtures: tiny real warehouses built by the real ETL in a temporary folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from etl import summary
from etl.build import init_warehouse

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


@pytest.fixture(scope="session")
def browser(chromium):
    """Debian's Chromium driven by Playwright, one for the whole run: the browser tests and
    the export geometry test share it (a second sync Playwright in one process refuses to
    start inside the first one's event loop)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def small_db(empty_db, use_db, monkeypatch):
    """A tiny warehouse of small counts of people, in public mode: see tests/small_counts.py."""
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    con = duckdb.connect(str(empty_db))
    con.execute(
        """INSERT INTO distributions VALUES
        ('2021-01-10', '93015', 'emmaus-connect-2020', 'ordinateur', 3, 'usagers SSD et CAF', 'Emmaüs Connect', false, 99),
        ('2021-01-11', '93030', 'emmaus-connect-2020', 'accompagnement', 7, 'allocataires RSA', 'Emmaüs Connect', false, 99),
        ('2021-01-12', '93048', 'emmaus-connect-2020', 'ordinateur', 120, 'usagers SSD et CAF', 'Emmaüs Connect', false, 99),
        ('2020-04-10', '93008', 'confinement-2020-tablettes', 'tablette', 40, 'collégiens', 'Département de la Seine-Saint-Denis', false, 99),
        ('2020-04-11', '93001', 'confinement-2020-tablettes', 'smartphone', 60, 'collégiens', 'Département de la Seine-Saint-Denis', false, 99),
        ('2020-04-12', '93001', 'confinement-2020-sim', 'recharge', 2, 'collégiens', 'Département de la Seine-Saint-Denis', false, 99)"""  # noqa: E501
    )
    summary.refresh(con, everything=True)  # as a load does
    con.execute(
        "INSERT INTO funding (date, funder, programme_id, commune_code, ept_code, amount_eur, "
        "scheme, is_demo, load_id) VALUES "
        "('2020-12-01', 'État', 'emmaus-connect-2020', '93015', NULL, 900, 'X', false, 99)"
    )
    con.execute(
        "INSERT INTO conseillers (date, commune_code, programme_id, posts, structure_type, "
        "is_demo, load_id) VALUES "
        "('2021-04-01', '93015', 'conseillers-numeriques', 1, 'publique', false, 99)"
    )
    con.close()
    return use_db(empty_db)
