"""The map in a real Chromium, offline: with the committed contours (loaded by init) and with
the schematic tile map (a warehouse without contours). The map area is drawn (pixel variety), hovering a commune shows its
figure, clicking anywhere on it (not only on its label) opens its sheet; the export control
downloads a PNG; small counts are masked in the legend."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from observatoire import fmt, warehouse
from observatoire.filters import Filters
from tests.conftest import drop_contours
from tests.e2e.conftest import (
    SCREENSHOTS,
    StreamlitServer,
    full_screenshot,
    wait_for_app,
    wait_for_figures,
)

MONTREUIL = "93048"


@pytest.fixture(scope="module")
def schematic_server(e2e_db, tmp_path_factory):
    """The dashboard on a copy of the demonstration warehouse without contours."""
    db = tmp_path_factory.mktemp("e2e-schematic") / "observatoire.duckdb"
    shutil.copy(e2e_db, db)
    server = StreamlitServer(drop_contours(db))
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
    wait_for_figures(page, timeout=30_000)


def _colours_in_map(page, name: str) -> int:
    plot = page.locator(".js-plotly-plot").first
    png = plot.screenshot(path=str(SCREENSHOTS / f"{name}-map.png"))
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 150))
    return len(set(image.get_flattened_data()))


def _plot_box(page) -> dict:
    """The map's box on screen, scrolled into view first (the mouse only reaches what the
    viewport shows)."""
    plot = page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    return plot.bounding_box()


def _marker_position(page, code: str) -> tuple[float, float]:
    """Screen position of a territory's clickable point (from Plotly's own layout)."""
    box = _plot_box(page)
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


def _captions(page, text: str) -> int:
    return page.locator("[data-testid='stCaptionContainer']", has_text=text).count()


def _inside_position(page, code: str) -> tuple[float, float]:
    """Screen position of a point well inside a territory's filled shape and far from its
    label point: a few pixels off one of its click targets that lies at least 30 px from
    any other territory's, as far as possible from the label."""
    box = _plot_box(page)
    x, y = page.evaluate(
        """(code) => {
            const gd = document.querySelector('.js-plotly-plot');
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const px = (t, i) => [xa._offset + xa.l2p(t.x[i]), ya._offset + ya.l2p(t.y[i])];
            const zones = gd._fullData.filter(t => (t.name || '').startsWith('zone '));
            const own = zones.find(t => t.name === 'zone ' + code);
            // Coordinates may arrive as typed arrays, whose map() cannot return pairs.
            const points = t => Array.from(t.x, (_, i) => px(t, i));
            const others = zones.filter(t => t !== own).flatMap(points);
            const label = gd._fullData.find(t => t.name === 'territoires');
            const anchor = px(label, label.customdata.findIndex(c => c[0] === code));
            let best = null, bestDistance = -1;
            points(own).forEach(p => {
                const clear = Math.min(...others.map(o => Math.hypot(o[0] - p[0], o[1] - p[1])));
                const far = Math.hypot(p[0] - anchor[0], p[1] - anchor[1]);
                if (clear > 30 && far > bestDistance) { best = p; bestDistance = far; }
            });
            return [best[0] + 5, best[1] + 4];
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
    # A click on the filled shape, far from the label point, selects the commune.
    x, y = _inside_position(page, MONTREUIL)
    label_x, label_y = _marker_position(page, MONTREUIL)
    assert abs(x - label_x) + abs(y - label_y) > 30
    page.mouse.move(x, y)
    hover = page.locator(".hoverlayer .hovertext").first
    hover.wait_for(timeout=10_000)
    assert "Montreuil" in (hover.text_content() or "")
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


def test_schematic_map_in_browser(schematic_server, browser_page, e2e_db):
    _check_map(browser_page, schematic_server, e2e_db, "carte-schematique", schematic=True)


def test_official_boundaries_in_browser(streamlit_server, browser_page, e2e_db):
    _check_map(browser_page, streamlit_server, e2e_db, "carte-contours", schematic=False)


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


def test_export_control_downloads_the_map_image(streamlit_server, browser_page):
    page = browser_page
    _open_map(page, streamlit_server)
    page.get_by_role("button", name="Exporter").first.click()
    # exact: Plotly's own toolbar has a « Download plot as a png » button too.
    png_button = page.get_by_role("button", name="PNG", exact=True).first
    png_button.wait_for()
    with page.expect_download(timeout=60_000) as download_info:
        png_button.click()
    download = download_info.value
    assert download.suggested_filename == "personnes-touchees-par-commune.png"
    path = SCREENSHOTS / "carte-export.png"
    download.save_as(str(path))
    data = Path(path).read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 50_000
    image = Image.open(io.BytesIO(data)).convert("L")
    assert image.size == (2400, 1600)  # 1 200 × 800 at 2× scale
    # Dressed for the press, unlike the toolbar's copy: the source line and the demo mention
    # are written at the bottom left, under the map.
    footer = image.crop((0, 1450, 1200, 1600))
    assert min(footer.get_flattened_data()) < 100, "no source line in the exported image"


def test_small_counts_masked_in_browser(streamlit_server, browser_page):
    """With the « ordinateurs du confinement » programme, Coubron (3) and Gournay-sur-Marne
    (4) reached fewer than 5 people. These are demonstration records: the protected tables
    publish demonstration-only counts (etl/protect.py: the generator is public), so they are
    shown, in a class, and the protected-tables note is said once. (The old per-table masking
    hid them; the masked hatch is checked on real records in tests/test_map_disclosure.py
    and tests/test_protected_map.py.)"""
    page = browser_page
    page.goto(streamlit_server)
    wait_for_app(page)
    page.goto(f"{streamlit_server}/carte?programme=confinement-2020-ordinateurs")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=30_000)
    legend = page.locator(".js-plotly-plot .legend").first.text_content() or ""
    assert "effectif masqué" not in legend and "3 à " in legend
    assert _captions(page, "Petits effectifs masqués") == 1
    hover = _hover_text(page, "93015")
    assert "Coubron" in hover and "3 personnes touchées" in hover
    page.screenshot(path=str(SCREENSHOTS / "carte-effectifs-masques.png"), full_page=True)


def test_sheet_masks_small_counts_in_browser(streamlit_server, browser_page):
    """Coubron reached 3 people with the « ordinateurs du confinement » programme. These are
    demonstration records: the protected tables publish demonstration-only counts (the
    generator is public), so the sheet shows them, with the protected-tables note; small
    real counts are masked in tests/test_protected_sheet.py."""
    page = browser_page
    page.goto(streamlit_server)
    wait_for_app(page)
    page.goto(f"{streamlit_server}/territoire?code=93015&programme=confinement-2020-ordinateurs")
    wait_for_app(page)
    page.get_by_role("heading", name="Coubron").first.wait_for()
    page.locator("[data-testid='stMetricValue']").nth(3).wait_for()
    metrics = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert metrics[:2] == ["3", "3"]
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .barlayer').length >= 3")
    page.get_by_text("Les enregistrements").wait_for()
    page.get_by_text("réservée aux utilisateurs internes").first.wait_for()
    wait_for_figures(page, 3)
    # Counted once the whole page is drawn: the note itself (the records' caption also names
    # « petits effectifs masqués », without the colon).
    assert _captions(page, "Petits effectifs masqués :") == 1
    full_screenshot(page, "fiche-effectifs-masques.png", height=3600)


def test_sheet_offers_a_lecteur_protected_monthly_quantities_not_records(
    streamlit_server, browser_page
):
    """A lecteur gets no individual records (each is a count of people on a day): the sheet
    says why and offers the protected monthly quantities instead, read on click. (An
    interne's records download, all of them, is tested with AppTest in
    tests/test_map_pages.py.)"""
    page = browser_page
    page.goto(f"{streamlit_server}/territoire?code=200057875")
    wait_for_app(page)
    page.get_by_text("Les enregistrements").wait_for()
    page.get_by_text("réservée aux utilisateurs internes", exact=False).first.wait_for()
    button = page.locator(".st-key-sheet_months_table_csv-excel-francais button")
    with page.expect_download(timeout=60_000) as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == "quantites-mensuelles-200057875.csv"
    lines = Path(download.path()).read_bytes().decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "Mois;Programme;Quantité distribuée"
    assert len(lines) > 10


# Every territory name written on the map, as drawn: [left, top, right, bottom, text].
_NAME_BOXES = """() => [...document.querySelectorAll('.st-key-map_chart g.annotation')]
    .map(g => g.querySelector('.annotation-text'))
    .filter(t => t && t.textContent.trim() && getComputedStyle(t).visibility !== 'hidden')
    .map(t => { const r = t.getBoundingClientRect();
                return [r.left, r.top, r.right, r.bottom, t.textContent]; })
    .filter(b => b[2] > b[0])"""


@pytest.mark.parametrize("width, named", [(1440, True), (1280, True), (1024, False)])
def test_map_names_never_overlap_on_screen(streamlit_server, browser, width, named):
    """On a laptop the map writes its 39 names, none over another (Sevran was under
    Les Pavillons-sous-Bois, « VillemombleGagny » ran together); in a window too narrow for
    them, it writes none (read on hover) rather than a pile of names."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        _open_map(page, streamlit_server)
        page.wait_for_function(
            "() => document.querySelectorAll('.st-key-map_chart path.js-fill').length >= 39"
        )
        if named:
            page.wait_for_function(f"() => ({_NAME_BOXES})().length >= 39")
        boxes = page.evaluate(_NAME_BOXES)
        chart = page.locator(".st-key-map_chart")
        chart.screenshot(path=str(SCREENSHOTS / f"carte-noms-{width}.png"))
        assert len(boxes) == (39 if named else 0)
        overlaps = [
            f"{a[4]} / {b[4]}"
            for i, a in enumerate(boxes)
            for b in boxes[i + 1 :]
            if not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])
        ]
        assert not overlaps, overlaps
    finally:
        context.close()
