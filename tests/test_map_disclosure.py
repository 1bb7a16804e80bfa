"""Small counts of people on the map and the territory sheet: masked in public mode (on
screen, in the legend, hover, table, reading sentence and every download), exact in internal
mode; euros and posts are never masked. A tiny warehouse computed by hand:

- Coubron: 3 ordinateurs (3 people) — masked (< 5);
- Dugny: 7 accompagnements (7 people) — the next smallest count, masked too (secondary
  suppression: Coubron alone could be recomputed from a total);
- Montreuil 120 ordinateurs, Bobigny 40 tablettes, Aubervilliers 60 smartphones: shown;
- Aubervilliers also 2 recharges: a recharge counts no person;
- one conseiller post in Coubron and 900 € for Coubron: never masked.
"""

from __future__ import annotations

import io
import json
import math

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from etl import summary
from observatoire import classify, disclosure, exports, maps, ui, warehouse
from observatoire.charts import targets as charts_targets
from observatoire.filters import Filters

COUBRON, DUGNY, MONTREUIL, BOBIGNY, AUBERVILLIERS = "93015", "93030", "93048", "93008", "93001"
SECRETS = {COUBRON: 3, DUGNY: 7}  # the numbers that must never be published


@pytest.fixture
def small_db(empty_db, use_db, monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    con = duckdb.connect(str(empty_db))
    con.execute(
        """INSERT INTO distributions VALUES
        ('2021-01-10', '93015', 'emmaus-connect-2020', 'ordinateur', 3, 'usagers SSD et CAF', 'Emmaüs Connect', false, 99),
        ('2021-01-11', '93030', 'emmaus-connect-2020', 'accompagnement', 7, 'allocataires RSA', 'Emmaüs Connect', false, 99),
        ('2021-01-12', '93048', 'emmaus-connect-2020', 'ordinateur', 120, 'usagers SSD et CAF', 'Emmaüs Connect', false, 99),
        ('2020-04-10', '93008', 'confinement-2020-tablettes', 'tablette', 40, 'collégiens', 'Département de la Seine-Saint-Denis', false, 99),
        ('2020-04-11', '93001', 'confinement-2020-tablettes', 'smartphone', 60, 'collégiens', 'Département de la Seine-Saint-Denis', false, 99),
        ('2020-04-12', '93001', 'confinement-2020-sim', 'recharge', 2, 'collégiens', 'Département de la Seine-Saint-Denis', false, 99)"""  # noqa: E501
    )
    summary.refresh(con, everything=True)  # as a load does
    con.execute(
        "INSERT INTO funding (date, funder, programme_id, commune_code, ept_code, amount_eur, "
        "scheme, is_demo, load_id) VALUES "
        "('2020-12-01', 'État', 'emmaus-connect-2020', '93015', NULL, 900, 'X', false, 99)"
    )
    con.execute(
        "INSERT INTO conseillers (date, commune_code, programme_id, posts, structure_type, is_demo, load_id) VALUES "
        "('2021-04-01', '93015', 'conseillers-numeriques', 1, 'publique', false, 99)"
    )
    con.close()
    return use_db(empty_db)


def _internal(monkeypatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_INTERNAL_MODE", "1")


def _view(indicator="personnes", norm="brut", level="commune") -> maps.MapView:
    choices = maps.MapChoices(level=level, indicator=indicator, norm=norm).checked()
    return maps.prepare(warehouse.map_values(Filters(), level, indicator), choices)


def _figure(view: maps.MapView):
    shapes, outlines, labels, schematic = maps.shapes_for(
        warehouse.map_boundaries(view.choices.level),
        warehouse.map_boundaries("ept"),
        view.table,
        view.choices.level,
        warehouse.territories(),
    )
    return maps.territory_map(view, shapes, outlines, labels=labels, schematic=schematic)


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


def test_small_counts_are_masked_with_a_second_one(small_db):
    view = _view()
    table = view.table.set_index("code")
    assert table.loc[[COUBRON, DUGNY], "masked"].all()
    assert table["masked"].sum() == 2
    assert math.isnan(table.loc[COUBRON, "value"]) and math.isnan(table.loc[DUGNY, "shown"])
    assert table.loc[MONTREUIL, "value"] == 120
    # A recharge counts no person: Aubervilliers is 60, not masked.
    assert table.loc[AUBERVILLIERS, "value"] == 60
    assert view.classes.masked == 2 and view.classes.missing == 34
    assert sum(view.classes.counts) == 3
    assert min(view.classes.bounds) == 40


def test_legend_hover_and_figure_name_the_masked_apart(small_db):
    view = _view()
    figure = _figure(view)
    legend = _legend(figure)
    assert "&lt; 5 ou secret (effectif masqué, 2 communes)" in legend
    assert "pas de données (34 communes)" in legend
    counts = [int(name.rsplit("(", 1)[1].split()[-2]) for name in legend]
    assert sum(counts) == 39
    masked_fills = [
        t
        for t in figure.data
        if t.type == "scatter" and t.fill == "toself" and ("&lt; 5" in t.text or "secret" in t.text)
    ]
    assert len(masked_fills) == 2
    # Coubron's 3 is small: « < 5 »; Dugny's 7 is hidden only to protect it: « secret ».
    assert sorted("secret" in t.text for t in masked_fills) == [False, True]
    for fill in masked_fills:  # drawn apart: neither a class colour nor the no-data grey
        assert fill.fillcolor == "white" and fill.fillpattern.shape == "x"
    coubron = next(t for t in figure.data if t.name == f"zone {COUBRON}")
    assert "&lt; 5 personnes touchées (effectif masqué)" in coubron.hovertext
    text = json.dumps(figure.to_plotly_json(), default=str)
    for secret in SECRETS.values():
        assert f"{secret} personnes" not in text


def test_table_reading_and_downloads_never_hold_the_masked_numbers(small_db):
    view = _view(norm="habitants")
    table = maps.display_table(view)
    coubron = _row(table, "Coubron")
    assert coubron[2:4] == ["< 5", disclosure.DERIVED_LABEL]
    assert coubron[-1] == "< 5 (effectif masqué)"
    assert _row(table, "Montreuil")[2] == 120
    reading = maps.main_reading(view)
    assert "2 communes à effectif masqué (< 5 ou secret)" in reading
    assert "Coubron" not in reading and "Dugny" not in reading
    assert reading.startswith("Montreuil") or reading.startswith("Aubervilliers")
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
    shown = ui._text_aware_view(maps.display_table(view), maps.table_formats(view))
    data = shown.data.set_index("Commune")
    assert data.loc["Coubron", "Personnes touchées"] == -math.inf  # not 3
    assert data.loc["Montreuil", "Personnes touchées"] == 120
    text = shown.to_string()
    assert "< 5" in text and "–" in text  # masked, and « pas de données » left empty
    assert "-inf" not in text and "inf" not in text


def test_internal_mode_shows_exact_values(small_db, monkeypatch):
    _internal(monkeypatch)
    view = _view()
    assert not view.masked.any() and view.classes.masked == 0
    assert _row(maps.display_table(view), "Coubron")[2] == 3
    assert not any("effectif masqué" in name for name in _legend(_figure(view)))
    assert not any("masqué" in note for note in maps.notes(view, {}))


def test_public_note_only_where_people_are_counted(small_db):
    assert any("« < 5 »" in note for note in maps.notes(_view(), {}))
    assert not any("« < 5 »" in note for note in maps.notes(_view("postes"), {}))


def test_threshold_comes_from_the_settings(small_db, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", "10")
    view = _view()
    assert view.mask_label == "< 10"
    assert set(view.table.loc[view.masked, "code"]) == {COUBRON, DUGNY}


@pytest.mark.parametrize("indicator", ["euros", "postes"])
def test_money_and_posts_are_never_masked(small_db, indicator):
    view = _view(indicator)
    assert not view.masked.any()
    assert view.table.set_index("code").loc[COUBRON, "value"] == (
        900 if indicator == "euros" else 1
    )


def test_items_handed_to_people_are_masked(small_db):
    view = _view("quantite")
    # Coubron's 3 computers, then the smallest other count: Bobigny's 40 tablets. Dugny has
    # records but no equipment (only accompaniments): 0 is not a small count.
    assert set(view.table.loc[view.masked, "code"]) == {COUBRON, BOBIGNY}
    assert view.table.set_index("code").loc[DUGNY, "value"] == 0


def test_progress_of_a_masked_count_is_masked(small_db):
    progress = warehouse.target_territory_progress(Filters(), "commune")
    key = next(k for k, label in maps.target_options(progress).items() if "PC portables" in label)
    records = warehouse.map_values(Filters(), "commune", "quantite")
    view = maps.prepare(
        maps.progress_values(progress, key, records),
        maps.MapChoices(indicator="objectif", key=key).checked(),
        target_unit="personnes équipées",
        target_indicator="quantite",
    )
    table = maps.display_table(view).set_index("Commune")
    assert table.loc["Coubron", "Avancement (%)"] == disclosure.DERIVED_LABEL
    assert table.loc["Coubron", "Personnes équipées"] == "< 5"
    assert not isinstance(table.loc["Coubron", "Part de l'objectif"], str)  # not from a count
    money = maps.MapChoices(indicator="objectif").checked()
    assert not maps.counts_people(money, "montant")


# Clicking anywhere on a territory ---------------------------------------------------------


def test_click_targets_fill_every_territory(small_db):
    view = _view()
    shapes, *_ = maps.shapes_for(
        warehouse.map_boundaries("commune"),
        warehouse.map_boundaries("ept"),
        view.table,
        "commune",
        warehouse.territories(),
    )
    targets = maps.click_targets(shapes)
    assert set(targets) == set(shapes)
    xs = np.concatenate([x for x, _ in targets.values()])
    codes = np.concatenate([[code] * len(x) for code, (x, _) in targets.items()])
    ys = np.concatenate([y for _, y in targets.values()])
    for code, (x, y) in targets.items():
        assert shapely.contains_xy(shapes[code].buffer(1e-5), x, y).all()
    # Anywhere inside a territory, away from its edge by more than a grid step, the
    # nearest target (what Plotly selects) belongs to that territory.
    bounds = np.array([s.bounds for s in shapes.values()])
    step = max(np.ptp(bounds[:, [0, 2]]), np.ptp(bounds[:, [1, 3]])) / maps.CLICK_GRID
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
    assert maps.selected_code(event) == COUBRON
    assert maps.selected_code({"selection": {"points": []}}) is None


# The territory sheet ----------------------------------------------------------------------


def _sheet_figures(code: str) -> list[tuple[str, dict]]:
    return [
        ("Coubron", warehouse.key_figures(Filters(communes=(code,)))),
        ("Seine-Saint-Denis", warehouse.key_figures(Filters())),
    ]


def test_comparison_table_masks_small_counts_of_people(small_db):
    table = maps.comparison_table(_sheet_figures(COUBRON)).set_index("Indicateur")
    assert table.loc["Personnes touchées", "Coubron"] == "< 5"
    assert table.loc["Personnes touchées", "Coubron (pour 1 000 hab.)"] == "masqué"
    assert table.loc["Équipements distribués", "Coubron"] == "< 5"
    assert table.loc["Euros engagés", "Coubron"] == 900
    assert table.loc["Postes de conseillers numériques", "Coubron"] == 1
    assert table.loc["Personnes touchées", "Seine-Saint-Denis"] == 3 + 7 + 120 + 40 + 60
    # The population has no rate: empty, shown « – », never « None ».
    assert math.isnan(table.loc["Population municipale 2023", "Coubron (pour 1 000 hab.)"])
    shown = ui._text_aware_view(table.reset_index(), maps.comparison_formats(table.reset_index()))
    assert "None" not in shown.to_string() and "–" in shown.to_string()
    xlsx = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(table.reset_index()))).active
    people = next(r for r in xlsx.iter_rows(values_only=True) if r[0] == "Personnes touchées")
    assert people[1:3] == ("< 5", "masqué")


def test_comparison_table_is_exact_in_internal_mode(small_db, monkeypatch):
    _internal(monkeypatch)
    table = maps.comparison_table(_sheet_figures(COUBRON)).set_index("Indicateur")
    assert table.loc["Personnes touchées", "Coubron"] == 3


def test_key_figures_of_the_sheet(small_db, monkeypatch):
    figures = warehouse.key_figures(Filters(communes=(COUBRON,)))
    assert maps.figure_text(figures, "people_reached") == "< 5"
    assert maps.figure_text(figures, "euros_committed") == "900\u00a0€"
    assert maps.figure_text(figures, "conseiller_posts") == "1"
    _internal(monkeypatch)
    assert maps.figure_text(figures, "people_reached") == "3"


def test_records_mask_people_not_money_or_posts(small_db):
    records = maps.public_records(warehouse.territory_records(Filters()))
    distributions = records[records["Type"] == "Distribution"].set_index("Commune")
    assert distributions.loc["Coubron", "Quantité"] == "< 5"
    # Aubervilliers' 2 recharges: a small quantity in a records table is masked too (a
    # recharge goes to one person), and Coubron is then not alone: no secondary cell.
    assert set(distributions.loc[distributions["Quantité"] == "< 5"].index) == {
        "Coubron",
        "Aubervilliers",
    }
    assert distributions.loc["Dugny", "Quantité"] == 7
    other = records[records["Type"] != "Distribution"]
    assert set(other["Quantité"].dropna()) == {1}  # the conseiller post
    assert set(other["Montant (€)"].dropna()) == {900}
    csv = exports.to_csv(records).decode("utf-8-sig")
    coubron = next(
        line for line in csv.splitlines() if "Coubron" in line and "Distribution" in line
    )
    assert ";< 5;" in coubron and ";3;" not in coubron and ";3,0;" not in coubron


def test_one_small_record_gets_a_second_one_masked(small_db):
    records = maps.public_records(
        warehouse.territory_records(Filters(programmes=("emmaus-connect-2020",)))
    )
    masked = records[records["Quantité"].astype(str).isin(["< 5", "secret"])]
    assert set(masked["Commune"]) == {"Coubron", "Dugny"}
    assert "< 5" in set(records.loc[records["Commune"] == "Coubron", "Quantité"])


def test_press_image_of_a_masked_map_has_its_legend(small_db, chromium):
    """The exported PNG (kaleido, offline) draws the masked hatch and the legend."""
    from PIL import Image

    view = _view()
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
    lightest = maps.class_colours(view.classes.count)[0]
    rgb = np.array([int(float(v)) for v in lightest[lightest.index("(") + 1 : -1].split(",")])
    assert (np.abs(top - rgb).sum(axis=1) < 12).sum() > 100, "no legend swatch"


def test_sheet_charts_hide_small_counts(small_db, monkeypatch):
    from observatoire import charts

    scoped = Filters(communes=(COUBRON,))
    by_item, exported = maps.mask_people(warehouse.distributions_by_item(scoped), "quantity")
    assert by_item["quantity"].isna().all() and list(exported["quantity"]) == ["< 5"]
    figure = maps.label_masked_bars(charts.items_bar(by_item))
    assert list(figure.data[0].text) == ["< 5"] and list(figure.data[0].x) == [0]
    assert "Toutes les valeurs" in maps.reading_of_masked(charts.items_reading, by_item, "quantity")
    # Months: secondary suppression within each programme.
    months, months_export = maps.mask_people(
        warehouse.territory_programme_months(Filters()), "quantity", by="programme_name"
    )
    by_programme = months.set_index("programme_id")["quantity"]
    # April 2020: Aubervilliers' 2 recharges alone in their programme; January 2021: Emmaüs
    # Connect's 3 + 7 + 120 in the whole département, not small.
    assert math.isnan(by_programme["confinement-2020-sim"])
    assert by_programme["emmaus-connect-2020"] == 130
    assert (months_export["quantity"] == "< 5").sum() == 1
    sim = months[months["programme_id"] == "confinement-2020-sim"]
    empty = maps.annotate_masked(maps.programme_months_bars(sim, "t"), sim, "quantity")
    assert "masqués" in empty.layout.annotations[0].text
    _internal(monkeypatch)
    shown, _ = maps.mask_people(warehouse.distributions_by_item(scoped), "quantity")
    assert list(shown["quantity"]) == [3]


def test_sheet_progress_hides_a_small_achievement(small_db):

    progress = warehouse.target_progress(Filters(communes=(COUBRON,)))
    headline = progress[progress["headline"]]
    shown, exported = maps.mask_progress(headline)
    row = exported[(exported["indicator"] == "quantite") & (exported["achieved"] == "< 5")]
    assert len(row) >= 1 and set(row["progress"]) == {"masqué"}
    figure = maps.label_masked_progress(charts_targets.progress_bars(shown), shown)
    bar = figure.data[0]
    masked = [i for i, t in enumerate(bar.text) if t == "masqué"]
    assert len(masked) == len(row)
    assert all(bar.customdata[i][0] == "< 5" for i in masked)
    assert "3" not in {str(c[0]) for c in bar.customdata}
