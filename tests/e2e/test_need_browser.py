"""« Aide et besoins » and the sheet's « Besoins » in a real Chromium: the scatter is drawn
with one point per commune, the priority and chosen ones named, its two labelled medians, and the sheet shows the
needs table, the sub-scores chart and the places."""

from __future__ import annotations

from tests.e2e.conftest import full_screenshot, wait_for_figures

SAINT_DENIS = "93066"
SLOW_MS = 120_000  # a shared machine under load: the scatter page runs five queries


def wait_for_app(page) -> None:
    """tests/e2e/conftest.wait_for_app with more patience."""
    page.wait_for_selector("[data-testid='stApp']", timeout=SLOW_MS)
    page.wait_for_selector("h1", timeout=SLOW_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=SLOW_MS
    )


def _open(page, base_url: str, path: str) -> None:
    page.set_default_timeout(SLOW_MS)
    page.goto(base_url)  # the first visit lets Streamlit register the pages
    wait_for_app(page)
    page.goto(f"{base_url}/{path}")
    wait_for_app(page)


POINTS_JS = "() => document.querySelectorAll('.js-plotly-plot .scatterlayer path.point').length"


def wait_for_points(page, count: int) -> None:
    """Wait until the scatter draws (at least) one point per territory."""
    page.wait_for_function(f"() => ({POINTS_JS})() >= {count}", timeout=SLOW_MS)


NAMES_AND_LABELS_JS = """() => [...document.querySelectorAll('.js-plotly-plot g.annotation')]
    .map(g => [g, g.querySelector('.annotation-text')])
    .filter(([g, t]) => t)
    .map(([g, t]) => { const r = t.getBoundingClientRect();
                        return [r.left, r.top, r.right, r.bottom, t.textContent,
                                /Médiane|Besoin élevé/.test(g.textContent)]; })"""


def assert_names_apart(page, named: bool = True) -> None:
    """The written names never overlap each other, nor the medians' and the quadrant's
    labels, as drawn at this width (NAMED: the priority communes are written; on a phone
    they are read on hover)."""
    boxes = page.evaluate(NAMES_AND_LABELS_JS)
    names = [b for b in boxes if not b[5]]
    labels = [b for b in boxes if b[5]]
    assert bool(names) == named
    assert len(labels) == 3  # the two medians and the priority quadrant
    everything = names + labels
    for i, a in enumerate(everything):
        for b in everything[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"{a[4]} overlaps {b[4]}"


def test_need_scatter_in_browser(streamlit_server, browser_page, e2e_db):
    page = browser_page
    _open(page, streamlit_server, "aide-et-besoins")
    # Every commune is a point; only the priority and chosen ones are written (others on
    # hover), and no two written names overlap.
    wait_for_points(page, 39)
    wait_for_figures(page, timeout=SLOW_MS)  # the medians' annotations too
    annotations = " ".join(page.locator(".js-plotly-plot .annotation-text").all_text_contents())
    assert "Médiane du besoin" in annotations and "Médiane de l'aide" in annotations
    assert page.get_by_text("Communes prioritaires").count() >= 1
    assert page.locator("[data-testid='stException']").count() == 0
    assert_names_apart(page)
    full_screenshot(page, "need-page.png", height=2000)
    # A laptop's screen: the names keep clear of the medians' labels there too.
    page.set_viewport_size({"width": 1440, "height": 900})
    wait_for_figures(page, timeout=SLOW_MS)
    assert_names_apart(page)
    full_screenshot(page, "need-page-1440.png", height=2000)
    page.set_viewport_size({"width": 390, "height": 844})
    wait_for_figures(page, timeout=SLOW_MS)
    assert_names_apart(page, named=False)
    full_screenshot(page, "need-page-390.png", height=2400)
    page.goto(f"{streamlit_server}/aide-et-besoins?niveau=ept")
    wait_for_app(page)
    wait_for_points(page, 4)
    full_screenshot(page, "need-page-ept.png", height=1600)


def test_sheet_needs_section_in_browser(streamlit_server, browser_page):
    page = browser_page
    _open(page, streamlit_server, f"territoire?code={SAINT_DENIS}")
    heading = page.get_by_role("heading", name="Besoins")
    heading.wait_for()
    heading.scroll_into_view_if_needed()
    # The sub-scores chart is drawn after the heading: wait for its title and the captions.
    page.locator(".js-plotly-plot .gtitle").filter(has_text="Sous-scores").first.wait_for()
    page.get_by_text("pondérée par la population").first.wait_for()
    page.get_by_text("Lieux de médiation numérique").first.wait_for()
    titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
    assert any("Sous-scores" in t for t in titles)
    assert page.get_by_text("pondérée par la population").count() >= 1
    assert page.get_by_text("Lieux de médiation numérique").count() >= 1
    page.get_by_text("lieux, mis à jour du").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    full_screenshot(page, "sheet-needs.png", height=5200)
