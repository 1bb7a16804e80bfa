"""Accessibility in a real Chromium: every page, and the sheet of one commune, audited with
axe-core against WCAG 2.1 A and AA (no serious or critical violation); the export controls
and the map's territory chooser work with the keyboard alone."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import TIMEOUT_MS, full_screenshot, wait_for_app, wait_for_figures

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The 8 pages of app.py (the home page, Vue d'ensemble, is at the root: Streamlit ignores the
# default page's url_path and answers « Page not found » to /vue-d-ensemble), and the sheet of
# one commune.
PAGES = [
    "",
    "carte",
    "repartir",
    "territoire",
    "territoire?code=93066",
    "objectifs",
    "financements",
    "programmes",
    "donnees",
]


def _open(page, base_url: str, path: str) -> None:
    page.goto(base_url)  # the first visit lets Streamlit register the pages
    wait_for_app(page)
    if path:
        page.goto(f"{base_url}/{path}")
        wait_for_app(page)
    # Audit what the user sees: no placeholder left where an element is still coming.
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=TIMEOUT_MS
    )
    wait_for_figures(page, 0)  # charts and tables finish drawing


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "vue-d-ensemble")
def test_page_has_no_serious_accessibility_violation(streamlit_server, browser_page, path):
    from axe_playwright_python.sync_playwright import Axe

    page = browser_page
    _open(page, streamlit_server, path)
    full_screenshot(page, "a11y-" + (path.replace("?code=", "-") or "vue-d-ensemble") + ".png")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}}).response
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{path}: axe-core (WCAG 2.1 AA)\n" + _describe(serious)


# What the keyboard focus is on: the widget's label, the aria-label and the visible text.
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return '';
  const widget = el.closest('[data-testid="stSelectbox"], [data-testid="stMultiSelect"],'
    + ' [data-testid="stTextInput"], [data-testid="stDateInput"]');
  const label = widget ? (widget.querySelector('label')?.innerText || '') : '';
  const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 80);
  return [label, el.getAttribute('aria-label') || '', text].filter(Boolean).join(' | ');
}"""
TAB_LIMIT = 250


def _tab_to(page, wanted: str, seen: list[str], key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until the focused element's description holds `wanted`."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press(key)
        seen.append(page.evaluate(_FOCUSED))
        if wanted in seen[-1]:
            return
    raise AssertionError(
        f"« {wanted} » never reached with {key}; focus went through:\n" + "\n".join(seen)
    )


def test_export_controls_and_territory_chooser_work_with_the_keyboard(
    streamlit_server, browser_page
):
    """From the top of the map page, Tab alone reaches the chart's « Exporter » control (and,
    once opened with Enter, its title, format and download buttons), the table's downloads,
    the territory chooser and the press-kit button; Enter downloads the data and the chooser
    opens a sheet."""
    page = browser_page
    _open(page, streamlit_server, "carte")
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    seen: list[str] = []
    _tab_to(page, "Exporter", seen)
    page.keyboard.press("Enter")  # opens the popover
    for control in ("Titre", "Sous-titre", "Format", "PNG", "SVG", "Données CSV"):
        _tab_to(page, control, seen)
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    assert download_info.value.suggested_filename == "personnes-touchees-par-commune.csv"
    _tab_to(page, "Données XLSX", seen)
    page.keyboard.press("Escape")  # closes the popover, the focus goes back to « Exporter »
    for control in ("CSV (Excel français)", "CSV standard", "XLSX"):
        _tab_to(page, control, seen)
    _tab_to(page, "Ouvrir la fiche d'un territoire", seen)
    _tab_to(page, "Dossier de presse (ZIP)", seen)
    # The kit renders every image of the page: slower than the data.
    with page.expect_download(timeout=max(TIMEOUT_MS, 120_000)) as kit_info:  # Space, too
        page.keyboard.press(" ")
    assert kit_info.value.suggested_filename == "dossier-de-presse-carte.zip"
    _tab_to(page, "Ouvrir la fiche d'un territoire", seen, key="Shift+Tab")
    page.keyboard.type("Montreuil")
    page.keyboard.press("Enter")
    page.wait_for_url("**/territoire?**")
    assert "code=93048" in page.url
    page.get_by_role("heading", name="Montreuil").first.wait_for()
