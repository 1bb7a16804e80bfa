"""Small counts of people on the map: masked in public mode (on screen, in the legend,
hover, table, reading sentence and every download), exact in internal mode; euros and posts
are never masked. The warehouse is tests/small_counts.py.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from observatoire import classify, disclosure, exports, protected, warehouse
from observatoire.filters import Filters
from observatoire.map import choices as map_choices
from observatoire.map import figure as map_figure
from observatoire.map import reading as map_reading
from observatoire.map import shapes as map_shapes
from tests.small_counts import (
    AUBERVILLIERS,
    BOBIGNY,
    COUBRON,
    DUGNY,
    MONTREUIL,
    SECRETS,
    internal,
)
from webapp import ui


def _view(indicator="personnes", norm="brut", level="commune") -> map_choices.MapView:
    choices = map_choices.MapChoices(level=level, indicator=indicator, norm=norm).checked()
    return map_choices.prepare(protected.map_values(Filters(), level, indicator), choices)


def _figure(view: map_choices.MapView):
    shapes, outlines, labels, schematic = map_shapes.shapes_for(
        warehouse.map_boundaries(view.choices.level),
        warehouse.map_boundaries("ept"),
        view.table,
        view.choices.level,
        warehouse.territories(),
    )
    return map_figure.territory_map(view, shapes, outlines, labels=labels, schematic=schematic)


def _legend(figure) -> list[str]:
    return [t.name for t in figure.data if t.showlegend is not False and t.type == "bar"]


def _row(table: pd.DataFrame, name: str) -> list:
    return table[table["Commune"] == name].iloc[0].tolist()


# Classification ---------------------------------------------------------------------------


def test_masked_values_take_no_class_and_no_part_in_the_bounds():
    values = [3, 7, 40, 60, 120, None]
    masked = [True, True, False, False, False, False]
    result = classify.classify(values, "egal", 2, masked=masked)
    assert result.index[:2] == (classify.MASKED, classify.MASKED)
    assert result.index[5] == classify.NO_DATA
    assert result.masked == 2 and result.missing == 1
    assert result.bounds == (40.0, 80.0, 120.0)  # 3 and 7 would have moved the lowest bound
    assert sum(result.counts) == 3
    with pytest.raises(ValueError):
        classify.classify(values, masked=[True])


# The map ----------------------------------------------------------------------------------


# The protected tables (etl/protect.py) hide, in this tiny warehouse, Coubron's 3 (« < 5 »)
# and every other commune with records (« secret »): with so few cells, any one of them left
# published would tell a hidden one by a difference (its EPT, a month, a programme). The old
# per-table masking hid Dugny only and showed Montreuil 120, Aubervilliers 60, Bobigny 40.
HIDDEN = {AUBERVILLIERS, BOBIGNY, COUBRON, DUGNY, MONTREUIL}


def test_small_counts_are_masked_with_a_second_one(small_db):
    view = _view()
    table = view.table.set_index("code")
    assert table.loc[[COUBRON, DUGNY], "masked"].all()
    assert set(table.index[table["masked"]]) == HIDDEN
    assert math.isnan(table.loc[COUBRON, "value"]) and math.isnan(table.loc[DUGNY, "shown"])
    assert table.loc[COUBRON, "mask_text"] == "< 5"
    assert set(table.loc[list(HIDDEN - {COUBRON}), "mask_text"]) == {"secret"}
    assert view.classes.masked == 5 and view.classes.missing == 34
    assert sum(view.classes.counts) == 0


def test_legend_hover_and_figure_name_the_masked_apart(small_db):
    view = _view()
    figure = _figure(view)
    legend = _legend(figure)
    assert "&lt; 5 ou secret (effectif masqué, 5 communes)" in legend
    assert "pas de données (34 communes)" in legend
    counts = [int(name.rsplit("(", 1)[1].split()[-2]) for name in legend]
    assert sum(counts) == 39
    masked_fills = [
        t
        for t in figure.data
        if t.type == "scatter" and t.fill == "toself" and ("&lt; 5" in t.text or "secret" in t.text)
    ]
    assert len(masked_fills) == 5
    # Coubron's 3 is small: « < 5 »; the others are hidden only to protect it: « secret ».
    assert sorted("secret" in t.text for t in masked_fills) == [False, True, True, True, True]
    for fill in masked_fills:  # drawn apart: neither a class colour nor the no-data grey
        assert fill.fillcolor == "white" and fill.fillpattern.shape == "x"
    coubron = next(t for t in figure.data if t.name == f"zone {COUBRON}")
    assert "&lt; 5 personnes touchées (effectif masqué)" in coubron.hovertext
    text = json.dumps(figure.to_plotly_json(), default=str)
    for secret in SECRETS.values():
        assert f"{secret} personnes" not in text


def test_table_reading_and_downloads_never_hold_the_masked_numbers(small_db):
    view = _view(norm="habitants")
    table = map_reading.display_table(view)
    coubron = _row(table, "Coubron")
    assert coubron[2:4] == ["< 5", disclosure.DERIVED_LABEL]
    assert coubron[-1] == "< 5 (effectif masqué)"
    assert _row(table, "Montreuil")[2] == "secret"
    reading = map_reading.main_reading(view)
    assert "5 communes à effectif masqué (< 5 ou secret)" in reading
    assert "Coubron" not in reading and "Dugny" not in reading
    assert reading.startswith("Aucune valeur affichable")
    rates = {
        code: SECRETS[code] * 1000 / view.table.set_index("code").loc[code, "population"]
        for code in SECRETS
    }
    forbidden = {*SECRETS.values(), *(round(r, 1) for r in rates.values())}
    for french in (True, False):
        rows = exports.to_csv(table, french=french).decode("utf-8-sig").splitlines()
        for line in rows:
            if line.startswith(("Coubron", "Dugny")):
                cells = line.split(";" if french else ",")
                shown = "< 5" if line.startswith("Coubron") else "secret"
                assert cells[2:4] == [shown, "masqué"]
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(table))).active
    for row in sheet.iter_rows(values_only=True):
        if row[0] in ("Coubron", "Dugny"):
            assert not forbidden & {c for c in row if isinstance(c, int | float)}
            assert row[2] == ("< 5" if row[0] == "Coubron" else "secret")


def test_masked_figures_are_shown_as_their_label_and_never_sent(small_db):
    view = _view()
    shown = ui._text_aware_view(map_reading.display_table(view), map_reading.table_formats(view))
    data = shown.data.set_index("Commune")
    assert data.loc["Coubron", "Personnes touchées"] == -math.inf  # not 3
    assert data.loc["Montreuil", "Personnes touchées"] <= ui.STAND_IN  # « secret », not 120
    text = shown.to_string()
    assert "< 5" in text and "–" in text  # masked, and « pas de données » left empty
    assert "-inf" not in text and "inf" not in text


def test_internal_mode_shows_exact_values(small_db, monkeypatch):
    internal(monkeypatch)
    view = _view()
    assert not view.masked.any() and view.classes.masked == 0
    assert _row(map_reading.display_table(view), "Coubron")[2] == 3
    assert not any("effectif masqué" in name for name in _legend(_figure(view)))
    assert not any("masqué" in note for note in map_reading.notes(view, {}))


def test_public_note_only_where_people_are_counted(small_db):
    assert any("« < 5 »" in note for note in map_reading.notes(_view(), {}))
    assert not any("« < 5 »" in note for note in map_reading.notes(_view("postes"), {}))


def test_threshold_comes_from_the_settings(small_db, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", "10")
    view = _view()
    # The pattern was decided when the tables were built (threshold 5); the labels follow
    # the settings.
    assert view.mask_label == "< 10 ou secret"
    assert set(view.table.loc[view.masked, "code"]) == HIDDEN


@pytest.mark.parametrize("indicator", ["euros", "postes"])
def test_money_and_posts_are_never_masked(small_db, indicator):
    view = _view(indicator)
    assert not view.masked.any()
    assert view.table.set_index("code").loc[COUBRON, "value"] == (
        900 if indicator == "euros" else 1
    )


def test_items_handed_to_people_are_masked(small_db):
    view = _view("quantite")
    # Coubron's 3 computers, and the others that would tell it. Dugny has records but no
    # equipment (only accompaniments): 0 is not a small count.
    assert set(view.table.loc[view.masked, "code"]) == HIDDEN - {DUGNY}
    assert view.table.set_index("code").loc[DUGNY, "value"] == 0


def test_progress_of_a_masked_count_is_masked(small_db):
    progress = warehouse.target_territory_progress(Filters(), "commune")
    key = next(
        k for k, label in map_choices.target_options(progress).items() if "PC portables" in label
    )
    records = warehouse.map_values(Filters(), "commune", "quantite")
    view = map_choices.prepare(
        map_choices.progress_values(progress, key, records),
        map_choices.MapChoices(indicator="objectif", key=key).checked(),
        target_unit="personnes équipées",
        target_indicator="quantite",
    )
    table = map_reading.display_table(view).set_index("Commune")
    assert table.loc["Coubron", "Avancement (%)"] == disclosure.DERIVED_LABEL
    assert table.loc["Coubron", "Personnes équipées"] == "< 5"
    assert not isinstance(table.loc["Coubron", "Part de l'objectif"], str)  # not from a count
    money = map_choices.MapChoices(indicator="objectif").checked()
    assert not disclosure.counts_people(money.indicator, "montant")


# Clicking anywhere on a territory ---------------------------------------------------------


def test_click_targets_fill_every_territory(small_db):
    view = _view()
    shapes, *_ = map_shapes.shapes_for(
        warehouse.map_boundaries("commune"),
        warehouse.map_boundaries("ept"),
        view.table,
        "commune",
        warehouse.territories(),
    )
    targets = map_figure.click_targets(shapes)
    assert set(targets) == set(shapes)
    xs = np.concatenate([x for x, _ in targets.values()])
    codes = np.concatenate([[code] * len(x) for code, (x, _) in targets.items()])
    ys = np.concatenate([y for _, y in targets.values()])
    for code, (x, y) in targets.items():
        assert shapely.contains_xy(shapes[code].buffer(1e-5), x, y).all()
    # Anywhere inside a territory, away from its edge by more than a grid step, the
    # nearest target (what Plotly selects) belongs to that territory.
    bounds = np.array([s.bounds for s in shapes.values()])
    step = max(np.ptp(bounds[:, [0, 2]]), np.ptp(bounds[:, [1, 3]])) / map_figure.CLICK_GRID
    rng = np.random.default_rng(7)
    for code, shape in shapes.items():
        inner = shape.buffer(-step)
        if inner.is_empty:
            continue
        minx, miny, maxx, maxy = inner.bounds
        px, py = rng.uniform(minx, maxx, 200), rng.uniform(miny, maxy, 200)
        keep = shapely.contains_xy(inner, px, py)
        for x, y in zip(px[keep], py[keep], strict=True):
            nearest = np.argmin((xs - x) ** 2 + (ys - y) ** 2)
            assert codes[nearest] == code
            assert math.hypot(xs[nearest] - x, ys[nearest] - y) <= step


def test_a_click_target_selects_its_territory():
    event = {"selection": {"points": [{"curve_number": 80, "customdata": [COUBRON]}]}}
    assert map_figure.selected_code(event) == COUBRON
    assert map_figure.selected_code({"selection": {"points": []}}) is None


def test_press_image_of_a_masked_map_has_its_legend(small_db, chromium):
    """The exported PNG (kaleido, offline) draws the masked hatch and the legend."""
    from PIL import Image

    # By EPT: the protected tables leave no commune of this tiny warehouse in a class, but
    # they publish Est Ensemble.
    view = _view(level="ept")
    figure = _figure(view)
    dressed = exports.press_figure(
        figure, title=view.title, subtitle="Seine-Saint-Denis", source="essai", demo=False
    )
    assert dressed.layout.legend.orientation == "h"
    image = Image.open(io.BytesIO(exports.render_image(dressed, "png"))).convert("RGB")
    assert image.size == (2400, 1600)
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    purple = np.array([0x76, 0x2A, 0x83])
    assert (np.abs(pixels - purple).sum(axis=1) < 60).sum() > 200, "no masked hatching"
    # The legend sits above the map: the lightest class colour appears in the top band.
    top = np.asarray(image)[:300].reshape(-1, 3).astype(int)
    lightest = map_figure.class_colours(view.classes.count)[0]
    rgb = np.array([int(float(v)) for v in lightest[lightest.index("(") + 1 : -1].split(",")])
    assert (np.abs(top - rgb).sum(axis=1) < 12).sum() > 100, "no legend swatch"
