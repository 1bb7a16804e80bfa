"""The map's need side in a real Chromium, offline, on the official contours: the IFN with the
places layer on. Counts the places Plotly drew (the points of the places' traces in the SVG),
the commune names written on the map, and reads the legend's direction and the year and
source line under the map."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from core import store
from etl import boundaries
from tests.conftest import SHARED_REFERENCE
from tests.e2e.conftest import (
    SCREENSHOTS,
    StreamlitServer,
    full_screenshot,
    wait_for_app,
    wait_for_figures,
)


@pytest.fixture(scope="module")
def need_server(e2e_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("e2e-need") / "observatoire.duckdb"
    shutil.copy(e2e_db, db)
    con = duckdb.connect(str(db))
    store.migrate(con)
    boundaries.load_file(con, SHARED_REFERENCE / "communes-93.geojson")
    placed = con.execute(
        "SELECT count(*) FROM lieux WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
    ).fetchone()[0]
    names = [row[0] for row in con.execute("SELECT name FROM communes").fetchall()]
    con.close()
    server = StreamlitServer(db)
    yield server.url, placed, names
    server.stop()


# Each scatter trace of the SVG keeps its Plotly trace (d3 data): count the points drawn
# for the places' traces, whose names start with « Lieu ».
_PLACES_DRAWN = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  return [...gd.querySelectorAll('.scatterlayer .trace')]
    .map(el => [el.__data__[0].trace.name, el.querySelectorAll('path.point').length])
    .filter(([name]) => name.startsWith('Lieu '));
}"""


def test_ifn_map_with_places_in_browser(need_server, browser_page):
    url, placed, names = need_server
    page = browser_page
    page.set_default_timeout(90_000)
    page.goto(f"{url}/carte?indicateur=besoin&detail=ifn&lieux=1")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace path.point")
    wait_for_figures(page)
    drawn = page.evaluate(_PLACES_DRAWN)
    assert drawn, "no places layer drawn"
    assert sum(count for _, count in drawn) == placed == 70
    # The freshness of each place is in its marker's shape and in the legend.
    legend = page.locator(".js-plotly-plot .legend").text_content()
    assert "plus haut = plus fragile" in legend
    assert "Lieu à actualiser (plus de 18 mois)" in legend
    # Commune names written in the map's SVG (annotations).
    texts = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot .annotation-text')]"
        ".map(e => e.textContent)"
    )
    # A long name is written on two lines (tspans): its text content joins them back.
    written = set(texts)
    found = [n for n in names if any(n in w for w in written)]
    assert len(texts) == 39 and len(found) == 39, sorted(set(names) - set(found))
    # Year and source under the map; the contours' attribution.
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "Source : La MedNum – Indice de fragilité numérique, 2021-2023" in body
    assert "Contours : IGN – ADMIN EXPRESS, Licence Ouverte" in body
    assert "70 lieux de médiation numérique sous ces choix, 70 sur la carte" in body
    full_screenshot(page, "carte-ifn-lieux.png", height=1800)
    page.locator(".js-plotly-plot").screenshot(path=str(SCREENSHOTS / "carte-ifn-lieux-carte.png"))


def test_names_switched_off_and_places_per_10_000(need_server, browser_page):
    url, _, _ = need_server
    page = browser_page
    page.set_default_timeout(90_000)
    page.goto(f"{url}/carte?indicateur=lieux&lieux_programmes=France%20Services&noms=0")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .scatterlayer", state="attached")
    wait_for_figures(page)
    title = page.locator(".js-plotly-plot .gtitle").text_content()
    assert "Lieux de médiation numérique (France Services), pour 10 000 habitants" in title
    assert page.locator(".js-plotly-plot .annotation-text").count() == 0  # names off
    assert not page.evaluate(_PLACES_DRAWN)  # the layer is off
