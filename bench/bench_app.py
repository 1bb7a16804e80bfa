"""App benchmark in a real Chromium (issue 7): start time, server memory, filter changes.

    .venv/bin/python bench/bench_app.py --db bench/out/echelle/w-1000000.duckdb \
        [--repeats 5] [--only start,memory,interaction] [--json out.json]

- start: time from launching ``streamlit run app.py`` (on the warehouse, OBSERVATOIRE_DB) to
  the first Plotly figure drawn in Chromium, against an empty app (``st.title("x")``) started
  the same way, to its first rendered heading; runs alternate (in a rotating order), so all
  see the same machine. A third app, a title and one three-bar Plotly figure, started the
  same way, gives the floor of any page with a Plotly figure (« floor »): the browser must
  fetch and evaluate Streamlit's Plotly.js chunk (4.7 MB) before drawing the first figure.
  Breakdown: server ready (health), page title shown, Plotly.js chunk loaded, first figure;
- memory: resident memory (VmRSS) of the server process and its children after visiting every
  page of the navigation, each drawn to the end;
- interaction: on the overview, time from choosing another EPT in the sidebar (key f_ept) to
  the updated key figures and figures; each EPT the first time (results not yet cached) and
  again (cached), over several server sessions.

The browser is started once, before the timings: its own start is not the app's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, wait_for_app  # noqa: E402
from webapp.serve import LocalServer  # noqa: E402

EMPTY_APP = 'import streamlit as st\n\nst.title("x")\n'
FLOOR_APP = (
    "import plotly.graph_objects as go\nimport streamlit as st\n\n"
    'st.title("x")\nst.plotly_chart(go.Figure(go.Bar(x=[1, 2, 3], y=[3, 1, 2])))\n'
)
ERROR = "[data-testid='stException']"
PLOTLY_JS = "/PlotlyChart."  # Streamlit's lazily loaded chunk holding Plotly.js
FIGURE = ".js-plotly-plot .main-svg"
EPT_LABEL = "Territoire (EPT)"
WHOLE = "Toute la Seine-Saint-Denis"


class Server(LocalServer):
    """The dashboard (or the empty app) started as `make run` starts it, measured."""

    def __init__(self, script: Path, db: Path):
        super().__init__(db, script=str(script))

    def rss_mib(self) -> float:
        """VmRSS of the server and of every process below it."""
        return sum(_rss_kib(pid) for pid in _tree(self.process.pid)) / 1024


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1]} | {
        "n": len(ordered)
    }


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(180_000)
    return context, page


def _wait_drawn(page, selector: str) -> None:
    """Wait for `selector`; an error shown by the app (say, a warehouse not migrated to the
    current schema) ends the benchmark at once instead of after the timeout."""
    page.wait_for_selector(f"{selector}, {ERROR}", state="visible")
    if page.locator(ERROR).count():
        raise RuntimeError(f"the app shows an error: {page.locator(ERROR).first.inner_text()}")


def measure_start(browser, db: Path, repeats: int) -> dict:
    """Launch → first figure (app, and the one-figure floor app) and launch → first heading
    (empty app), alternating in a rotating order; with the server-ready and page-title
    times, and when the Plotly.js chunk finished loading."""
    keys = ("app", "empty", "floor", "app_health", "empty_health", "floor_health", "app_title")
    samples: dict[str, list[float]] = {key: [] for key in keys}
    samples |= {"app_plotly_js": [], "floor_plotly_js": []}
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty_app.py"
        empty.write_text(EMPTY_APP, encoding="utf-8")
        floor = Path(folder) / "floor_app.py"
        floor.write_text(FLOOR_APP, encoding="utf-8")
        runs = [("empty", empty, "h1"), ("floor", floor, FIGURE), ("app", ROOT / "app.py", FIGURE)]
        for repeat in range(repeats):
            shift = repeat % len(runs)
            for which, script, selector in runs[shift:] + runs[:shift]:
                context, page = _new_page(browser)
                loaded: list[float] = []
                page.on(
                    "requestfinished",
                    lambda request, loaded=loaded: (
                        PLOTLY_JS in request.url and loaded.append(time.perf_counter())
                    ),
                )
                started = time.perf_counter()
                with Server(script, db) as server:
                    samples[f"{which}_health"].append(time.perf_counter() - started)
                    page.goto(server.url)
                    if which == "app":  # the page title: the script has started drawing
                        _wait_drawn(page, "h1")
                        samples["app_title"].append(time.perf_counter() - started)
                    _wait_drawn(page, selector)
                    samples[which].append(time.perf_counter() - started)
                    if loaded and f"{which}_plotly_js" in samples:
                        samples[f"{which}_plotly_js"].append(loaded[0] - started)
                context.close()
    report = {key: summary(values) for key, values in samples.items() if values}
    report["ratio"] = report["app"]["median"] / report["empty"]["median"]
    report["floor_ratio"] = report["floor"]["median"] / report["empty"]["median"]
    return report


def _page_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "[data-testid='stSidebarNav'] a", "links => links.map(a => a.href)"
    )
    return list(dict.fromkeys(hrefs)) or [base]


def measure_memory(browser, db: Path) -> dict:
    """Server RSS after start, after the first page, after visiting every page."""
    with Server(ROOT / "app.py", db) as server:
        after_start = server.rss_mib()
        context, page = _new_page(browser)
        page.goto(server.url)
        wait_for_app(page)
        after_first = server.rss_mib()
        pages = {}
        # Every page of the navigation, and the territory sheet open on the commune with the
        # most records (its page without one shows nothing).
        for link in [*_page_links(page, server.url), f"{server.url}/territoire?code={SHEET}"]:
            started = time.perf_counter()
            entry: dict = {}
            try:
                page.goto(link)
                wait_for_app(page)
            except PlaywrightTimeout:  # recorded, and the other pages are still visited
                entry["timeout"] = True
            entry |= {"seconds": time.perf_counter() - started, "rss_mib": server.rss_mib()}
            pages[link.rsplit("/", 1)[-1] or "/"] = entry
        context.close()
        return {
            "after_start_mib": after_start,
            "after_first_page_mib": after_first,
            "after_every_page_mib": server.rss_mib(),
            "pages": pages,
        }


SHEET = "93066"  # Saint-Denis, the most populous commune


def _metric(page) -> str:
    return page.locator("[data-testid='stMetricValue']").first.inner_text()


def _choose_ept(page, name: str) -> None:
    page.locator("[data-testid='stSidebar']").get_by_label(EPT_LABEL).click()
    page.get_by_role("option", name=name, exact=True).click()


def _wait_updated(page, before: str) -> None:
    """The first key figure changed and the script run is over (every figure sent)."""
    page.wait_for_function(
        """before => {
            const v = document.querySelector("[data-testid='stMetricValue']");
            return v && v.innerText !== before
                && !document.querySelector("[data-testid='stStatusWidget']");
        }""",
        arg=before,
        timeout=180_000,
    )
    page.wait_for_selector(FIGURE, state="visible")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")


def measure_interaction(browser, db: Path, sessions: int = 2) -> dict:
    """Each EPT chosen in turn (first time: not cached), then the same round again (cached),
    back to the whole département each time, over `sessions` fresh servers."""
    cold, warm = [], []
    for _ in range(sessions):
        with Server(ROOT / "app.py", db) as server:
            context, page = _new_page(browser)
            page.goto(server.url)
            wait_for_app(page)
            page.wait_for_selector(FIGURE, state="visible")
            page.locator("[data-testid='stSidebar']").get_by_label(EPT_LABEL).click()
            epts = [
                text
                for text in page.get_by_role("option").all_inner_texts()
                if text.strip() != WHOLE
            ]
            page.keyboard.press("Escape")
            for samples in (cold, warm):
                for ept in epts:
                    for name in (ept, WHOLE):
                        before = _metric(page)
                        started = time.perf_counter()
                        _choose_ept(page, name)
                        _wait_updated(page, before)
                        if name != WHOLE:  # back to the whole département: cached, not counted
                            samples.append(time.perf_counter() - started)
            context.close()
    return {"cold": summary(cold), "warm": summary(warm)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=2, help="servers for the interaction")
    parser.add_argument("--only", default="start,memory,interaction")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    wanted = set(args.only.split(","))
    from playwright.sync_api import sync_playwright

    report: dict = {"db": str(args.db)}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            if "start" in wanted:
                report["start"] = measure_start(browser, args.db, args.repeats)
            if "memory" in wanted:
                report["memory"] = measure_memory(browser, args.db)
            if "interaction" in wanted:
                report["interaction"] = measure_interaction(browser, args.db, args.sessions)
        finally:
            browser.close()
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    print(text)
    return report


if __name__ == "__main__":
    main()
