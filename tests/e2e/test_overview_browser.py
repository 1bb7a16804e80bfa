"""The overview in a real Chromium: key figures, charts drawn, French page, link state."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import full_screenshot, wait_for_app


def test_overview_in_browser(streamlit_server, browser_page):
    page = browser_page
    page.goto(streamlit_server)
    wait_for_app(page)
    page.locator("[data-testid='stMetricValue']", has_text="28\u00a0471").wait_for()
    # Plotly drew its charts (an SVG with bars), not empty placeholders.
    page.wait_for_selector(".js-plotly-plot .barlayer .point path", timeout=30_000)
    assert page.locator(".js-plotly-plot").count() == 3
    assert page.get_by_text("Données de démonstration").first.is_visible()
    assert page.evaluate("document.documentElement.lang") == "fr"
    full_screenshot(page, "overview.png")


def test_link_reproduces_filtered_view(streamlit_server, browser_page):
    page = browser_page
    page.goto(f"{streamlit_server}/?ept=200057875&demo=1")
    wait_for_app(page)
    page.get_by_text("EPT Est Ensemble").first.wait_for()
    # Waits until the figure for Est Ensemble is drawn (fails on timeout otherwise).
    page.locator("[data-testid='stMetricValue']", has_text="6\u00a0858").wait_for()
    assert "ept=200057875" in page.url
    page.wait_for_selector(".js-plotly-plot .barlayer .point path")
    full_screenshot(page, "overview-est-ensemble.png")


def test_export_control_downloads_an_image_and_the_press_kit(streamlit_server, browser_page):
    page = browser_page
    page.goto(streamlit_server)
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .barlayer .point path")
    page.get_by_role("button", name="Exporter").first.click()
    # exact: Plotly's own toolbar also has a « Download plot as a png » button.
    png_button = page.get_by_role("button", name="PNG", exact=True).first
    png_button.wait_for()
    with page.expect_download(timeout=60_000) as download_info:
        png_button.click()
    download = download_info.value
    assert download.suggested_filename == "avancement-des-principaux-objectifs.png"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    with page.expect_download(timeout=60_000) as svg_info:
        page.get_by_role("button", name="SVG", exact=True).first.click()
    svg = Path(svg_info.value.path()).read_text(encoding="utf-8")
    assert "Source : Département de la Seine-Saint-Denis" in svg
    assert "Données de démonstration" in svg
    page.keyboard.press("Escape")
    with page.expect_download(timeout=120_000) as kit_info:
        page.get_by_role("button", name="Dossier de presse (ZIP)").click()
    kit = zipfile.ZipFile(Path(kit_info.value.path()))
    assert "legende.txt" in kit.namelist()
    assert sum(name.endswith(".png") for name in kit.namelist()) == 3


@pytest.mark.parametrize("bare", [False, True], ids=["webapp.serve", "streamlit run"])
def test_deep_link_on_a_fresh_server_opens_its_page(e2e_db, browser_page, bare):
    """A link to a page other than the home page, as the very first visit of a new server,
    started by `make run` or by a bare `streamlit run app.py`."""
    from tests.e2e.conftest import StreamlitServer

    server = StreamlitServer(e2e_db, bare=bare)
    try:
        page = browser_page
        page.goto(f"{server.url}/carte?programme=la-courneuve-dsil")
        wait_for_app(page)
        page.get_by_role("heading", name="Carte", exact=True).wait_for()
        chosen = page.locator("[data-testid='stMultiSelect']", has_text="La Courneuve")
        chosen.first.wait_for()  # the sidebar filter, drawn after the page's first run
        wait_for_app(page)  # that run is over: a « Page not found » would be shown by now
        assert page.get_by_text("Page not found").count() == 0
        assert chosen.count() == 1
    finally:
        server.stop()
