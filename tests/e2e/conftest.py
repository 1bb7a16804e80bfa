"""Real-browser fixtures: a `streamlit run` server on a free local port and Playwright driving
Debian's Chromium. With OBSERVATOIRE_REQUIRE_BROWSER=1 (CI) a missing Chromium fails the
tests instead of skipping them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.build import init_warehouse
from webapp import serve

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"
# Kept for scripts that drive Chromium outside pytest (bench/bench_app.py).
CHROMIUM = os.environ.get("OBSERVATOIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's timeout; raise it on a loaded machine (OBSERVATOIRE_E2E_TIMEOUT_MS=120000).
TIMEOUT_MS = int(os.environ.get("OBSERVATOIRE_E2E_TIMEOUT_MS", "30000"))


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# The e2e tests and the benchmarks start the dashboard the same way.
StreamlitServer = serve.LocalServer
free_port = serve.free_port


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("e2e") / "observatoire.duckdb"
    init_warehouse(db, with_demo=True)
    return db


@pytest.fixture(scope="session")
def streamlit_server(e2e_db, chromium) -> Iterator[str]:
    """Base URL of a dashboard running on the demonstration warehouse."""
    server = StreamlitServer(e2e_db)
    yield server.url
    server.stop()


@pytest.fixture
def browser_page(browser):
    """A fresh page (1400×1000, French locale); screenshots go to tests/e2e/screenshots/."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="fr-FR", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield page
    context.close()


# True once at least N Plotly figures are on the page, each drawn to the end (Plotly sets
# _fullLayout._replotting back to false when its SVG is complete), and the figures' boxes,
# their element counts and the main block's height have stayed the same for a few animation
# frames (Streamlit draws a figure again once it knows its width; tables grow the page).
_FIGURES_SETTLED = """n => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const drawn = plots.length >= n && plots.every(gd => gd._fullLayout
      && gd._fullLayout._replotting === false && gd.querySelector('.main-svg'));
  const main = document.querySelector('[data-testid="stMain"]');
  const shape = plots.map(gd => {
      const box = gd.getBoundingClientRect();
      return [box.width, box.height, gd.getElementsByTagName('*').length];
  }).join(';') + '|' + (main ? main.scrollHeight : 0);
  window.__e2eFrames = drawn && shape === window.__e2eShape ? (window.__e2eFrames || 0) + 1 : 0;
  window.__e2eShape = shape;
  return window.__e2eFrames >= 5;
}"""


def wait_for_figures(page, count: int = 1, timeout: float | None = None) -> None:
    """Wait until at least `count` Plotly figures are drawn and the page has stopped moving
    (count=0: whatever figures the page has)."""
    page.evaluate("() => { window.__e2eFrames = 0; window.__e2eShape = null; }")  # count anew
    page.wait_for_function(_FIGURES_SETTLED, arg=count, polling="raf", timeout=timeout)


def full_screenshot(page, name: str, height: int = 2400) -> Path:
    """Streamlit scrolls inside its main block: enlarge the viewport to capture it all."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    wait_for_figures(page, 0)  # redrawn at the new size
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def wait_for_app(page) -> None:
    """Wait until Streamlit has finished running the script and drawn the page."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_selector("h1")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS
    )
