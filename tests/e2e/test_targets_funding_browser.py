"""The « Objectifs » and « Financements » pages in a real Chromium: the progress charts and
the Sankey diagram are drawn, not left as empty placeholders."""

from __future__ import annotations

from tests.e2e.conftest import full_screenshot, wait_for_app, wait_for_figures


def test_targets_page_draws_progress_charts(streamlit_server, browser_page):
    page = browser_page
    page.goto(f"{streamlit_server}/objectifs?programme=confinement-2020-sim&echelon=Communes")
    wait_for_app(page)
    page.get_by_role("heading", name="Avancement de chaque objectif").wait_for()
    page.wait_for_selector(".js-plotly-plot .barlayer .point path", timeout=30_000)
    wait_for_figures(page, 3, timeout=30_000)  # the three charts, each drawn to the end
    assert page.locator(".js-plotly-plot").count() == 3
    # The trajectory: the straight line and the cumulative achievement, drawn as SVG paths.
    trajectory = page.locator(".js-plotly-plot").nth(1)
    assert trajectory.locator(".scatterlayer .trace").count() == 2
    for line in trajectory.locator(".scatterlayer .js-line").all():
        assert len(line.get_attribute("d") or "") > 10
    # The breakdown by commune: one bar per commune.
    assert page.locator(".js-plotly-plot").nth(2).locator(".barlayer .point").count() == 39
    assert page.get_by_text("Données de démonstration").first.is_visible()
    full_screenshot(page, "objectifs.png", height=4200)


def test_funding_page_draws_the_sankey(streamlit_server, browser_page):
    page = browser_page
    page.goto(f"{streamlit_server}/financements")
    wait_for_app(page)
    page.get_by_role("heading", name="Des financeurs aux territoires").wait_for()
    # Plotly drew the flow diagram: nodes and links as SVG, with the labels of the ends.
    page.wait_for_selector(".js-plotly-plot .sankey .sankey-link", timeout=30_000)
    wait_for_figures(page, timeout=30_000)
    sankey = page.locator(".js-plotly-plot").filter(has=page.locator(".sankey"))
    assert sankey.locator(".sankey-node").count() > 10
    assert sankey.locator(".sankey-link").count() > 10
    labels = sankey.locator(".node-label").all_text_contents()
    assert "CAF" in labels and "Échelle départementale (non ventilé)" in labels
    page.wait_for_selector(".js-plotly-plot .barlayer .point path")
    assert page.get_by_text("Données de démonstration").first.is_visible()
    full_screenshot(page, "financements.png", height=5200)
