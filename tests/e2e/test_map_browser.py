"""The map in a real Chromium, offline: with the schematic tile map (no boundaries loaded) and
with official boundaries. The map area is drawn (pixel variety), hovering a commune shows its
figure, clicking it opens its sheet."""

from __future__ import annotations

import io
import shutil

import duckdb
import pytest
from PIL import Image

from etl import boundaries
from observatoire import fmt, warehouse
from observatoire.filters import Filters
from tests.conftest import SHARED_REFERENCE
from tests.e2e.conftest import SCREENSHOTS, StreamlitServer, wait_for_app

MONTREUIL = "93048"


@pytest.fixture(scope="module")
def server_with_boundaries(e2e_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("e2e-boundaries") / "observatoire.duckdb"
    shutil.copy(e2e_db, db)
    con = duckdb.connect(str(db))
    boundaries.migrations.migrate(con)
    boundaries.load_file(con, SHARED_REFERENCE / "communes-93.geojson")
    con.close()
    server = StreamlitServer(db)
    yield server.url
    server.stop()


def _people_reached(db, code: str) -> float:
    warehouse._cached.clear()
    frame = warehouse.run(
        "map_values",
        Filters().params() | {"level": "commune", "measure": "personnes", "key": None},
        db,
    )
    return float(frame.loc[frame["code"] == code, "value"].iloc[0])


def _open_map(page, base_url: str) -> None:
    page.goto(base_url)  # the first visit lets Streamlit register the pages
    wait_for_app(page)
    page.goto(f"{base_url}/carte")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=30_000)
    page.wait_for_timeout(500)


def _colours_in_map(page, name: str) -> int:
    plot = page.locator(".js-plotly-plot").first
    png = plot.screenshot(path=str(SCREENSHOTS / f"{name}-map.png"))
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 150))
    return len(set(image.get_flattened_data()))


def _marker_position(page, code: str) -> tuple[float, float]:
    """Screen position of a territory's clickable point (from Plotly's own layout)."""
    box = page.locator(".js-plotly-plot").first.bounding_box()
    x, y = page.evaluate(
        """(code) => {
            const gd = document.querySelector('.js-plotly-plot');
            const trace = gd._fullData.find(t => t.name === 'territoires');
            const i = trace.customdata.findIndex(c => c[0] === code);
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [xa._offset + xa.l2p(trace.x[i]), ya._offset + ya.l2p(trace.y[i])];
        }""",
        code,
    )
    return box["x"] + x, box["y"] + y


def _hover_text(page, code: str) -> str:
    x, y = _marker_position(page, code)
    page.mouse.move(x, y)
    label = page.locator(".hoverlayer .hovertext").first
    label.wait_for(timeout=10_000)
    return label.text_content() or ""


def _check_map(page, base_url: str, db, name: str, *, schematic: bool) -> None:
    _open_map(page, base_url)
    notice = page.get_by_text("Carte schématique")
    assert notice.count() > 0 if schematic else notice.count() == 0
    assert _colours_in_map(page, name) > 8, "the map area looks blank"
    expected = fmt.number(_people_reached(db, MONTREUIL))
    hover = _hover_text(page, MONTREUIL)
    assert "Montreuil" in hover and "Est Ensemble" in hover
    assert expected.replace("\u00a0", " ") in hover.replace("\u00a0", " ")
    assert page.get_by_text("Lecture").count() > 0
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    x, y = _marker_position(page, MONTREUIL)
    page.mouse.click(x, y)
    page.wait_for_url("**/territoire?**", timeout=30_000)
    wait_for_app(page)
    page.get_by_role("heading", name="Montreuil").first.wait_for(timeout=30_000)
    assert "code=93048" in page.url
    # The sheet keeps the global filters: Montreuil's own figures, not zeros.
    page.get_by_text(expected).first.wait_for(timeout=30_000)
    metrics = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert expected in metrics
    page.screenshot(path=str(SCREENSHOTS / f"{name}-fiche.png"), full_page=True)


def test_schematic_map_in_browser(streamlit_server, browser_page, e2e_db):
    _check_map(browser_page, streamlit_server, e2e_db, "carte-schematique", schematic=True)


def test_official_boundaries_in_browser(server_with_boundaries, browser_page, e2e_db):
    _check_map(browser_page, server_with_boundaries, e2e_db, "carte-contours", schematic=False)


def test_map_link_reproduces_the_view(streamlit_server, browser_page):
    page = browser_page
    page.goto(streamlit_server)
    wait_for_app(page)
    page.goto(f"{streamlit_server}/carte?niveau=ept&indicateur=postes&normalisation=habitants")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=30_000)
    title = page.locator(".js-plotly-plot .gtitle").first.text_content() or ""
    assert "pour 1 000 habitants, par EPT" in title
    assert "niveau=ept" in page.url and "indicateur=postes" in page.url
    page.screenshot(path=str(SCREENSHOTS / "carte-ept.png"), full_page=True)
