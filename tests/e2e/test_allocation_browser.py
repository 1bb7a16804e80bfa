"""« Répartir une enveloppe » in a real Chromium, at laptop (1440×900) and phone (390×844)
size: the chart comparing the rules and the map of the chosen rule are drawn, no text of
the chart runs past its image, the reading sentence is there, and a scenario opened from
its link shows the same choices."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, wait_for_figures

SLOW_MS = 120_000  # a shared machine under load
SIZES = {
    "laptop": ({"width": 1440, "height": 900}, False),
    "phone": ({"width": 390, "height": 844}, True),
}
SCENARIO = "repartir?enveloppe=400&regle=rattrapage&plafond=60&exclure=93048"

# Texts of every Plotly figure that leave their figure's box (x beyond the SVG's width).
_OVERFLOWING = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('.js-plotly-plot .main-svg:first-of-type')) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1)) out.push(t.textContent);
    }
  }
  return out;
}"""


def _wait_for_app(page) -> None:
    page.wait_for_selector("[data-testid='stApp']", timeout=SLOW_MS)
    page.wait_for_selector("h1", timeout=SLOW_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=SLOW_MS
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_allocation_page_in_browser(streamlit_server, browser, size):
    viewport, mobile = SIZES[size]
    context = browser.new_context(
        viewport=viewport, locale="fr-FR", is_mobile=mobile, has_touch=mobile
    )
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    try:
        page.goto(streamlit_server)  # the first visit lets Streamlit register the pages
        _wait_for_app(page)
        page.goto(f"{streamlit_server}/{SCENARIO}")
        _wait_for_app(page)
        expect(page.get_by_role("heading", name="Répartir une enveloppe")).to_be_visible()
        wait_for_figures(page, 2, timeout=SLOW_MS)
        # On a phone a long title wraps into lines (SVG tspans, no space between them).
        titles = [
            "".join(t.split()) for t in page.locator(".js-plotly-plot .gtitle").all_text_contents()
        ]
        assert "Partdechaquecommune,parrègle" in titles, titles
        assert "Partproposée:400tablettes" in titles, titles
        # The map: one filled shape per commune of the département.
        assert page.locator(".js-plotly-plot path.js-fill").count() >= 39
        expect(page.get_by_text("Avec la règle « rattrapage »").first).to_be_visible()
        # The scenario came from the link: the widgets show it.
        expect(page.get_by_label("Quantité")).to_have_value("400")
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.evaluate(_OVERFLOWING) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # Streamlit scrolls inside its main block: a taller viewport captures it all.
        page.set_viewport_size({"width": viewport["width"], "height": 4200})
        wait_for_figures(page, 2, timeout=SLOW_MS)
        page.screenshot(path=str(SCREENSHOTS / f"allocation-{size}.png"))
        page.set_viewport_size(viewport)
        wait_for_figures(page, 2, timeout=SLOW_MS)
        page.screenshot(path=str(SCREENSHOTS / f"allocation-{size}-top.png"))
    finally:
        context.close()
