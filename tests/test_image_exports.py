"""Press-ready images rendered by kaleido through the system Chromium: open the produced
files and check what a communications officer would check."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import openpyxl
import pandas as pd
import pytest

from observatoire import charts, exports, warehouse
from observatoire.filters import Filters

TITLE = "Ordinateurs distribués pour 1 000 habitants, par commune"
SOURCE = exports.source_text("communiqué du 17/11/2020", "2020-11-17")


@pytest.fixture
def figure(demo_db, use_db):
    use_db(demo_db)
    return charts.items_bar(warehouse.distributions_by_item(Filters()))


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _dress(figure, demo=True, preset="communique"):
    return exports.press_figure(
        figure, title=TITLE, subtitle="Seine-Saint-Denis", source=SOURCE, demo=demo, preset=preset
    )


@pytest.mark.parametrize(
    ("preset", "size"),
    [("communique", (2400, 1600)), ("carre", (2160, 2160)), ("diapo", (3840, 2160))],
)
def test_png_is_print_quality_at_preset_size(chromium, figure, preset, size):
    png = exports.render_image(_dress(figure, preset=preset), "png", preset)
    assert _png_size(png) == size


def test_svg_carries_title_source_and_demo_mention_as_text(chromium, figure):
    svg = exports.render_image(_dress(figure), "svg").decode("utf-8")
    assert "Ordinateurs distribués pour 1" in svg
    assert "Source : Département de la Seine-Saint-Denis" in svg
    assert "données au 17/11/2020" in svg
    assert exports.DEMO_MENTION in svg
    # French thousands separator on the axis (no-break space), not a comma.
    assert ">10\u00a0000<" in svg and ">17\u00a0800<" in svg
    assert "10,000" not in svg


def test_no_demo_mention_without_demo_records(chromium, figure):
    svg = exports.render_image(_dress(figure, demo=False), "svg").decode("utf-8")
    assert exports.DEMO_MENTION not in svg


def test_pdf_is_a4_landscape(chromium, figure):
    pdf = exports.render_image(_dress(figure, preset="a4"), "pdf", "a4")
    assert pdf.startswith(b"%PDF")
    # Page box in points: A4 landscape is 842 × 595 pt (1 123 × 794 px at 96 dpi).
    text = pdf.decode("latin-1")
    box = text.split("/MediaBox")[1].split("]")[0].strip(" [")
    width, height = (float(v) for v in box.split()[2:4])
    assert width == pytest.approx(842, abs=2) and height == pytest.approx(595, abs=2)


def test_user_title_cannot_inject_markup(figure):
    dressed = exports.press_figure(
        figure, title="<img src=x onerror=alert(1)>", source=SOURCE, demo=False
    )
    assert "<img" not in dressed.layout.title.text


def test_engine_is_reused(chromium, figure):
    dressed = _dress(figure)
    exports.render_image(dressed, "png")
    start = time.perf_counter()
    exports.render_image(dressed, "png")
    assert time.perf_counter() - start < 5  # a fresh Chromium would cost several seconds


def test_press_kit_holds_images_data_and_texts(chromium, figure):
    data = pd.DataFrame({"item": ["tablette", "=cmd"], "quantity": [17800, 3]})
    kit = exports.press_kit(
        [exports.KitFigure("quantites", lambda: _dress(figure), data)],
        caption="Quantités distribuées",
        alt_text="Tablettes : 17 800, premier type d'aide.",
        link="http://localhost:8501/?ept=200057875",
    )
    archive = zipfile.ZipFile(io.BytesIO(kit))
    names = set(archive.namelist())
    assert {"quantites.png", "quantites.svg", "quantites.pdf", "quantites.csv"} <= names
    assert {"quantites.xlsx", "legende.txt"} <= names
    assert _png_size(archive.read("quantites.png")) == (2400, 1600)
    texts = archive.read("legende.txt").decode("utf-8")
    assert "Tablettes : 17 800" in texts and "?ept=200057875" in texts
    sheet = openpyxl.load_workbook(io.BytesIO(archive.read("quantites.xlsx"))).active
    values = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values[0] == ("tablette", 17800)
    assert values[1][0] == "'=cmd"
    assert not archive.read("quantites.csv").decode("utf-8-sig").splitlines()[2].startswith("=")


def test_toolbar_download_has_french_name_and_preset_size():
    config = exports.toolbar_config(exports.slug(TITLE))
    options = config["toImageButtonOptions"]
    assert options["filename"] == "ordinateurs-distribues-pour-1-000-habitants-par-commune"
    assert (options["width"], options["height"], options["scale"]) == (1200, 800, 2)


def test_without_chromium_export_says_so(monkeypatch, figure):
    monkeypatch.setattr(exports, "chromium_path", lambda: None)
    assert not exports.image_export_available()
    with pytest.raises(exports.ImageExportUnavailable, match="Chromium"):
        exports.render_image(_dress(figure), "png")
