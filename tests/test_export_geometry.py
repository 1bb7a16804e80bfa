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

# Every visible <text> with a box: its text and its box (the names of « Aide et besoins »,
# the medians' labels, titles and source lines alike: none may overlap another).
BOXES_JS = """() => [...document.querySelectorAll('svg text')].filter(t => {
    const style = getComputedStyle(t);
    return t.textContent.trim() && style.visibility !== 'hidden' && style.display !== 'none'
        && parseFloat(style.opacity || '1') > 0 && !t.closest('[visibility=hidden]');
}).map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent.trim(), x0: r.left, y0: r.top, x1: r.right, y1: r.bottom};
}).filter(b => b.x1 - b.x0 > 0 && b.y1 - b.y0 > 0)"""


@pytest.fixture(scope="module")
def geometry_db(_demo_template, tmp_path_factory):
    """The demonstration warehouse the pages read (a private copy), for this module."""
    import os
    import shutil

    from observatoire import warehouse

    db = tmp_path_factory.mktemp("geometry") / "observatoire.duckdb"
    shutil.copy(_demo_template, db)
    previous = os.environ.get("OBSERVATOIRE_DB")
    os.environ["OBSERVATOIRE_DB"] = str(db)
    warehouse._cached.clear()
    warehouse.READER.release()
    yield db
    if previous is None:
        os.environ.pop("OBSERVATOIRE_DB", None)
    else:
        os.environ["OBSERVATOIRE_DB"] = previous
    warehouse._cached.clear()
    warehouse.READER.release()


def page_figures(page: str, query: dict) -> list:
    """(name, dress) for every figure PAGE puts in its press kit, with its dress."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    found = [
        (f"{page}{query or ''} {title}", figure.dress)
        for figure, title, _reading in at.session_state["_press_kit_figures"]
    ]
    assert found, page
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
            overlap_x = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            overlap_y = min(a["y1"], b["y1"]) - max(a["y0"], b["y0"])
            if overlap_x > TOLERANCE and overlap_y > TOLERANCE:
                problems.append(f"« {a['text'][:40]} » chevauche « {b['text'][:40]} »")
    return problems


def _where(box) -> str:
    return f"({box['x0']:.0f}, {box['y0']:.0f}) – ({box['x1']:.0f}, {box['y1']:.0f})"


@pytest.mark.parametrize(("page", "query"), PAGES, ids=[f"{p}{q or ''}" for p, q in PAGES])
def test_no_exported_text_is_cut_or_overlaps(chromium, geometry_db, svg_page, page, query):
    problems = []
    for name, dress in page_figures(page, query):
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


# Long real names, crowded about the medians: the priority ones (need above its median,
# help below its median) must be written clear of each other and of the medians' labels.
CROWDED_NAMES = [
    "Saint-Ouen-sur-Seine", "Les Pavillons-sous-Bois", "Pierrefitte-sur-Seine",
    "Neuilly-sur-Marne", "Neuilly-Plaisance", "Villemomble", "Le Pré-Saint-Gervais",
    "Épinay-sur-Seine", "Villetaneuse", "Aubervilliers", "La Courneuve", "Le Blanc-Mesnil",
    "Aulnay-sous-Bois", "Saint-Denis", "Stains", "Bobigny", "Drancy", "Le Bourget",
    "Dugny", "Tremblay-en-France", "Villepinte", "Sevran", "Livry-Gargan", "Clichy-sous-Bois",
    "Montfermeil", "Coubron", "Vaujours", "Gagny", "Le Raincy", "Rosny-sous-Bois",
    "Noisy-le-Sec", "Romainville", "Les Lilas", "Bagnolet", "Montreuil", "Noisy-le-Grand",
    "Bondy", "Pantin", "L'Île-Saint-Denis",
]  # fmt: skip


def _crowded_scatter(seed: int):
    import random

    import pandas as pd

    from observatoire import need
    from observatoire.charts import need as need_charts

    rng = random.Random(seed)
    codes = [f"93{i:03d}" for i in range(len(CROWDED_NAMES))]
    help_values = pd.DataFrame(
        {
            "code": codes,
            "name": CROWDED_NAMES,
            "ept_code": [f"e{i % 4}" for i in range(len(codes))],
            "ept_name": [f"EPT {i % 4}" for i in range(len(codes))],
            "population": [20_000] * len(codes),
            "value": [rng.gauss(300, 40) for _ in codes],
            "records": [1] * len(codes),
            "has_demo": [False] * len(codes),
        }
    )
    need_values = pd.DataFrame({"code": codes, "value": [rng.gauss(5, 0.6) for _ in codes]})
    view = need.analyse(
        need.scatter_table(help_values, need_values, people=False),
        level="commune",
        direction="fragile_haut",
        need_label="Indice de fragilité numérique",
        help_label="Aide pour 1 000 habitants",
        chosen={codes[0]},
    )
    return need_charts.need_scatter(view, "Aide et besoins, par commune")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_crowded_scatter_names_stay_clear_in_every_export(chromium, svg_page, seed):
    """Names placed for the screen would meet in an image of another shape: each export
    places them again at its own plot size, clear of each other and of the medians'."""
    figure = _crowded_scatter(seed)
    problems = []
    for preset, size in exports.PRESETS.items():
        dressed = exports.press_figure(
            figure, title="Aide et besoins", source="Source : essai", demo=False, preset=preset
        )
        svg = exports.render_image(dressed, "svg", preset)
        for problem in _text_problems(svg_page, svg, size.width, size.height):
            problems.append(f"[{preset}] : {problem}")
    assert not problems, "\n".join(problems)
