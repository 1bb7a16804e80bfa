"""Every page on a phone (390 × 844, mobile) and on a laptop (1 440 × 900), in a real Chromium:
the map draws its 39 communes with a visible area, no chart text runs past its image, the page
never scrolls sideways, the header names the programmes and the period; on a phone the sidebar
closes once a page is chosen; a date typed in the sidebar applies on Enter; Streamlit's and
Plotly's own labels are in French; the targets charts' texts (overview, sheet, Objectifs) are
at least 11 px and touch neither each other nor a bar not their own; a table's first column
stays in view when the table is scrolled sideways; no widget label is cut with « … ».
Screenshots of every page at both sizes are kept in
tests/e2e/screenshots/ (phone-*.png, laptop-*.png)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import TIMEOUT_MS, full_screenshot, wait_for_app, wait_for_figures

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1440, "height": 900}}
SIZES = {"phone": PHONE, "laptop": LAPTOP}
# Page path → the number of charts it draws at least (the home page is at the root).
PAGES = {
    "": 3,
    "carte": 1,
    "aide-et-besoins": 1,
    "territoire?code=93066": 3,
    "objectifs": 3,
    "financements": 3,
    "repartir": 2,
    "programmes": 0,
    "donnees": 0,
}

# Every visible SVG text of every chart that runs past its chart's image (2 px of tolerance
# for antialiasing), as « chart title: text (box) ».
_CUT_TEXT = """() => {
  const cut = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const svg = gd.querySelector('svg.main-svg');
    if (!svg) continue;
    const box = svg.getBoundingClientRect();
    const title = (gd.querySelector('.gtitle') || {}).textContent || '?';
    for (const text of gd.querySelectorAll('svg.main-svg text')) {
      const r = text.getBoundingClientRect();
      const style = getComputedStyle(text);
      if (!r.width || !r.height || !text.textContent.trim()) continue;
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      if (r.left < box.left - 2 || r.right > box.right + 2
          || r.top < box.top - 2 || r.bottom > box.bottom + 2) {
        cut.push(`${title}: ${text.textContent} (${Math.round(r.left - box.left)}..`
          + `${Math.round(r.right - box.left)} of ${Math.round(box.width)} px, `
          + `${Math.round(r.top - box.top)}..${Math.round(r.bottom - box.top)} of `
          + `${Math.round(box.height)} px)`);
      }
    }
  }
  return cut;
}"""

# The map's filled territories whose drawn area is visible (at least 2 × 2 px, inside the
# chart's image).
_VISIBLE_SHAPES = """() => {
  const gd = document.querySelector('.st-key-map_chart .js-plotly-plot');
  const box = gd.querySelector('svg.main-svg').getBoundingClientRect();
  return [...gd.querySelectorAll('path.js-fill')].filter(path => {
    const r = path.getBoundingClientRect();
    return r.width >= 2 && r.height >= 2 && r.left >= box.left - 1 && r.right <= box.right + 1
      && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  }).length;
}"""

_SIDEWAYS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return [document.documentElement.scrollWidth - window.innerWidth,
          main ? main.scrollWidth - main.clientWidth : 0];
}"""

# The pages' targets charts (charts/targets.py progress_bars on the overview, the sheet and
# « Objectifs », territory_bars on « Objectifs »), by the keys of their containers.
TARGET_CHARTS = {
    "": ["overview_targets"],
    "territoire?code=93066": ["sheet_targets"],
    "objectifs": ["targets_bars", "targets_territories"],
}
MIN_FONT_PX = 11

# In the chart in the container of class st-key-KEY: every visible text drawn under
# MIN_FONT_PX (its font size times the scale Plotly gives a text squeezed into a bar), every
# two texts whose boxes overlap, every text that overlaps a bar without lying inside it
# (its own bar's text); 1 px of tolerance for antialiasing.
_CROWDED_TEXT = """([key, minimum]) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const shown = element => {
    const style = getComputedStyle(element);
    return style.display !== 'none' && style.visibility !== 'hidden'
      && Number(style.opacity) !== 0;
  };
  const texts = [...gd.querySelectorAll('svg.main-svg text')].filter(t => {
    const r = t.getBoundingClientRect();
    return r.width && r.height && t.textContent.trim() && shown(t);
  }).map(t => {
    const m = t.getScreenCTM();
    const size = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    return { name: t.textContent.slice(0, 50), r: t.getBoundingClientRect(), size };
  });
  const bars = [...gd.querySelectorAll('.barlayer .point path')]
    .map(p => p.getBoundingClientRect()).filter(r => r.width >= 1 && r.height >= 1);
  const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
    && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const within = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1
    && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const problems = [];
  for (const t of texts) {
    if (t.size < minimum - 0.1) problems.push(`${t.name}: ${t.size.toFixed(1)} px`);
  }
  texts.forEach((a, i) => texts.slice(i + 1).forEach(b => {
    if (meet(a.r, b.r)) problems.push(`${a.name} | ${b.name}: overlap`);
  }));
  for (const t of texts) {
    for (const bar of bars) {
      if (meet(t.r, bar) && !within(t.r, bar)) {
        problems.push(`${t.name}: on a bar (${Math.round(bar.top)}..${Math.round(bar.bottom)})`);
      }
    }
  }
  return problems;
}"""

# The first table of the page scrolled to its right end: whether its first column is
# still drawn (glide's accessible copy of the grid holds the cells in view), and whether
# the table was wider than its box at all.
_SCROLL_TABLE = """() => {
  const grid = document.querySelector('[data-testid="stDataFrame"]');
  const scroller = grid.querySelector('.dvn-scroller');
  const wider = scroller.scrollWidth > scroller.clientWidth + 1;
  scroller.scrollLeft = scroller.scrollWidth;
  scroller.dispatchEvent(new Event('scroll'));
  return wider;
}"""
# The column indexes glide's accessible copy of that grid holds (the cells in view), once
# the second column has left the view (the scroll has been drawn).
_COLUMNS_IN_VIEW = """() => {
  const grid = document.querySelector('[data-testid="stDataFrame"]');
  const shown = [...grid.querySelectorAll('[role="columnheader"]')]
    .map(h => Number(h.getAttribute('aria-colindex')));
  return shown.length && !shown.includes(2) ? shown : null;
}"""

# Widget labels Streamlit cuts with « … » (one line, overflow hidden).
_CUT_LABELS = """() => [...document.querySelectorAll('[data-testid="stMain"] .stMarkdownEllipsis')]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""

ENGLISH = ["Choose an option", "Choose date", "Download plot", "Autoscale", "Fullscreen"]
_ENGLISH_LABELS = """words => [...document.querySelectorAll(
    '[aria-label], [title], [data-title], [placeholder]')].flatMap(e =>
  ['aria-label', 'title', 'data-title', 'placeholder'].map(a => e.getAttribute(a)))
  .filter(v => v && words.some(w => v.startsWith(w)))"""


@pytest.fixture(params=list(SIZES))
def sized_page(request, browser):
    context = browser.new_context(locale="fr-FR", **SIZES[request.param])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield request.param, page
    context.close()


def _open(page, base_url: str, path: str, charts: int) -> None:
    page.goto(base_url)  # the first visit lets Streamlit register the pages
    wait_for_app(page)
    if path:
        page.goto(f"{base_url}/{path}")
        wait_for_app(page)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=TIMEOUT_MS
    )
    wait_for_figures(page, charts)


@pytest.mark.parametrize("path", list(PAGES), ids=lambda p: p or "vue-d-ensemble")
def test_page_fits_the_screen(streamlit_server, sized_page, path):
    size, page = sized_page
    _open(page, streamlit_server, path, PAGES[path])
    name = path.replace("?code=", "-") or "vue-d-ensemble"
    full_screenshot(page, f"{size}-{name}.png", height=8000 if size == "phone" else 5000)
    assert page.evaluate(_SIDEWAYS) == [0, 0], "the page scrolls sideways"
    assert page.evaluate(_CUT_LABELS) == [], f"{size} {path}: widget labels cut with « … »"
    cut = page.evaluate(_CUT_TEXT)
    assert not cut, f"{size} {path}: chart text cut at the edge:\n" + "\n".join(cut[:20])
    if path == "carte":
        assert page.evaluate(_VISIBLE_SHAPES) == 39, "the map does not draw its 39 communes"
    for key in TARGET_CHARTS.get(path, []):
        crowded = page.evaluate(_CROWDED_TEXT, [key, MIN_FONT_PX])
        assert not crowded, f"{size} {path} {key}: chart text:\n" + "\n".join(crowded[:20])
    if path not in ("donnees", "programmes"):
        page.get_by_text("Tous les programmes · du ").first.wait_for()
    assert page.evaluate(_ENGLISH_LABELS, ENGLISH) == []


@pytest.mark.parametrize("path", ["territoire?code=93066", "objectifs"])
def test_a_table_keeps_its_first_column_when_scrolled_on_a_phone(streamlit_server, browser, path):
    context = browser.new_context(locale="fr-FR", **PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    _open(page, streamlit_server, path, PAGES[path])
    table = page.locator("[data-testid='stDataFrame']").first
    table.scroll_into_view_if_needed()
    page.locator("[data-testid='stDataFrame'] [role='columnheader']").first.wait_for(
        state="attached"
    )
    assert page.evaluate(_SCROLL_TABLE), "the table fits the phone: nothing to check"
    in_view = page.wait_for_function(_COLUMNS_IN_VIEW).json_value()
    assert 1 in in_view, f"{path}: the first column left the view ({in_view})"
    context.close()


def test_sidebar_closes_after_choosing_a_page_on_a_phone(streamlit_server, browser):
    context = browser.new_context(locale="fr-FR", **PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(streamlit_server)
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    # The page's script (webapp/page.js) arrives with the first run: wait for it to listen.
    page.wait_for_function("() => window.__observatoirePage === true")
    page.locator("[data-testid='stExpandSidebarButton']").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stSidebar\"]')"
        ".getAttribute('data-collapsed') === 'false'"
    )
    page.locator("[data-testid='stSidebarNav'] a", has_text="Objectifs").click()
    page.wait_for_url("**/objectifs")
    wait_for_app(page)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stSidebar\"]')"
        ".getAttribute('data-collapsed') === 'true'"
    )
    assert sidebar.get_attribute("data-collapsed") == "true"
    context.close()


def test_a_typed_date_applies_on_enter(streamlit_server, browser_page):
    page = browser_page
    page.goto(streamlit_server)
    wait_for_app(page)
    field = page.locator("[data-testid='stDateInput']").first
    field.locator("[data-type='day']").click()
    page.keyboard.type("01022021")
    page.keyboard.press("Enter")  # no click elsewhere
    # A shared machine under load may take a while to rerun: wait for it, not a fixed delay.
    page.wait_for_url("**du=2021-02-01**", timeout=90_000)
    page.get_by_text("du 01/02/2021 au").first.wait_for(timeout=90_000)  # the header follows
