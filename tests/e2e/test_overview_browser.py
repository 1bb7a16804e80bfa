"""The overview in a real Chromium: key figures, charts drawn, French page, link state."""

from __future__ import annotations

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
