"""Every exported image of every page, in every size and format the export widget offers:
no text runs past the image and no label overlaps another. Checked from the SVG as a
browser draws it (getBoundingClientRect of each <text>, in Debian's Chromium), the way a
communications officer would see it; the PNG and PDF of the same figure are rendered too
(size, PDF title). Uses kaleido's persistent engine: a figure costs a few tenths of a second
per format."""

from __future__ import annotations

import functools
import io
import struct

import pytest
from pypdf import PdfReader

from observatoire import exports

pytestmark = pytest.mark.browser

# (page, query): the sheet needs a territory.
PAGES = [
    ("views/overview.py", {}),
    ("views/map.py", {}),
    ("views/map.py", {"indicateur": "besoin"}),
    ("views/need.py", {}),
    ("views/territory.py", {"code": "93066"}),
    ("views/targets.py", {}),
    ("views/funding.py", {}),
]
TOLERANCE = 1.5  # px: anti-aliasing and rounding of the boxes

# Every visible <text> with a box: its text, its box, and whether it is a point's label on a
# scatter (those of « Aide et besoins » are placed by charts/need.py, not by the export).
BOXES_JS = """() => [...document.querySelectorAll('svg text')].filter(t => {
    const style = getComputedStyle(t);
    return t.textContent.trim() && style.visibility !== 'hidden' && style.display !== 'none'
        && parseFloat(style.opacity || '1') > 0 && !t.closest('[visibility=hidden]');
}).map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent.trim(), x0: r.left, y0: r.top, x1: r.right, y1: r.bottom,
            point: !!t.closest('.textpoint')};
}).filter(b => b.x1 - b.x0 > 0 && b.y1 - b.y0 > 0)"""


@pytest.fixture(scope="module")
def page_figures(_demo_template, tmp_path_factory):
    """(page, figure) for every figure the pages put in their press kit, with its dress."""
    import os
    import shutil

    from streamlit.testing.v1 import AppTest

    from observatoire import warehouse
    from tests.conftest import ROOT

    db = tmp_path_factory.mktemp("geometry") / "observatoire.duckdb"
    shutil.copy(_demo_template, db)
    previous = os.environ.get("OBSERVATOIRE_DB")
    os.environ["OBSERVATOIRE_DB"] = str(db)
    warehouse._cached.clear()
    warehouse.READER.release()
    found = []
    try:
        for page, query in PAGES:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.run()
            at.switch_page(page)
            for key, value in query.items():
                at.query_params[key] = value
            at.run()
            assert not at.exception, at.exception
            for figure, title, _reading in at.session_state["_press_kit_figures"]:
                found.append((f"{page}{query or ''} {title}", figure.dress))
    finally:
        if previous is None:
            os.environ.pop("OBSERVATOIRE_DB", None)
        else:
            os.environ["OBSERVATOIRE_DB"] = previous
        warehouse._cached.clear()
        warehouse.READER.release()
    assert len(found) >= 12
    return found


@pytest.fixture(scope="module")
def svg_page(browser):
    page = browser.new_page()
    yield page
    page.close()


def _dressed(dress, preset):
    return functools.partial(dress.func, *dress.args, **{**dress.keywords, "preset": preset})()


def _text_problems(page, svg: bytes, width: int, height: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": height})
    page.set_content(
        "<html><body style='margin:0'>" + svg.decode("utf-8") + "</body></html>",
        wait_until="load",
    )
    boxes = page.evaluate(BOXES_JS)
    problems = []
    for box in boxes:
        if (
            box["x0"] < -TOLERANCE
            or box["y0"] < -TOLERANCE
            or box["x1"] > width + TOLERANCE
            or box["y1"] > height + TOLERANCE
        ):
            problems.append(f"« {box['text'][:60]} » dépasse de l'image {_where(box)}")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a["point"] or b["point"]:
                continue  # points' names on a scatter: charts/need.py decides which to write
            overlap_x = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            overlap_y = min(a["y1"], b["y1"]) - max(a["y0"], b["y0"])
            if overlap_x > TOLERANCE and overlap_y > TOLERANCE:
                problems.append(f"« {a['text'][:40]} » chevauche « {b['text'][:40]} »")
    return problems


def _where(box) -> str:
    return f"({box['x0']:.0f}, {box['y0']:.0f}) – ({box['x1']:.0f}, {box['y1']:.0f})"


def test_no_exported_text_is_cut_or_overlaps(chromium, page_figures, svg_page):
    problems = []
    for name, dress in page_figures:
        for preset, size in exports.PRESETS.items():
            figure = _dressed(dress, preset)
            svg = exports.render_image(figure, "svg", preset)
            for problem in _text_problems(svg_page, svg, size.width, size.height):
                problems.append(f"{name} [{preset}] : {problem}")
            for image_format in size.formats:
                data = exports.render_image(figure, image_format, preset)
                if image_format == "png":
                    assert data[:8] == b"\x89PNG\r\n\x1a\n"
                    assert struct.unpack(">II", data[16:24]) == (
                        size.width * exports.PNG_SCALE,
                        size.height * exports.PNG_SCALE,
                    )
                elif image_format == "pdf":
                    title = PdfReader(io.BytesIO(data)).metadata.title
                    assert title == dress.keywords["title"], name
    assert not problems, "\n".join(problems)
