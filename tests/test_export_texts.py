"""What exported images say, without rendering them: source lines (only what the figure
rests on, short names, the data's period), wrapping to the width, alternative text, file
names and agreement."""

from __future__ import annotations

import pandas as pd

from observatoire import exports, sources
from observatoire.charts import targets as target_charts
from observatoire.filters import Filters

SAINT_DENIS = "93066"


def test_source_line_names_what_the_figure_uses_and_the_period(demo_db, use_db):
    use_db(demo_db)
    everything = sources.source_text(Filters())
    money = sources.source_text(Filters(), ("funding",))
    assert everything.startswith("Source : Département de la Seine-Saint-Denis, communiqués du")
    # The period the records cover, never the date of the last load.
    assert "— données du 16/03/2020 au 15/12/2021" in everything
    assert "— données du 01/04/2020 au 15/12/2021" in money
    assert "données au" not in everything
    # Published indicators and places have their own source lines, with their vintage.
    assert "MedNum" not in everything and "France services" not in everything
    one = sources.source_text(Filters(communes=(SAINT_DENIS,)), ("distributions",))
    assert "données du" in one and one != everything


def test_files_are_named_by_short_names():
    assert sources.short_name("distributions_mars_2021.xlsx") == "distributions mars 2021"
    assert sources.short_name("ANCT – France services 2020-2022 (référentiel)") == (
        "ANCT – France services 2020-2022"
    )
    assert sources.period_text(pd.Timestamp("2021-01-04"), pd.Timestamp("2021-01-04")) == (
        "données du 04/01/2021"
    )


def test_indicator_source_carries_its_vintage():
    rows = pd.DataFrame(
        {
            "source": ["La MedNum – Indice de fragilité numérique"] * 2,
            "vintage": ["2021-2023"] * 2,
            "year": [None, None],
        }
    )
    assert sources.indicator_source(rows) == (
        "Source : La MedNum – Indice de fragilité numérique, millésime 2021-2023"
    )


def test_long_text_wraps_to_the_width():
    text = "Source : " + "Département de la Seine-Saint-Denis, communiqués du 17/11/2020 " * 4
    for width in (300, 1000):
        lines = exports.wrap(text, width, 13)
        assert len(lines) > 1
        assert all(exports.text_width(line, 13) <= width for line in lines)
        assert " ".join(lines).split() == text.split()
    # A word wider than the line is cut after a hyphen when one fits.
    narrow = exports.text_width("Le-Pré-Saint-Ger", 13)
    assert exports.wrap("Le-Pré-Saint-Gervais", narrow, 13) == ["Le-Pré-Saint-", "Gervais"]


def test_file_names_are_cut_between_words():
    title = "Personnes touchées pour 1 000 habitants et indice de fragilité numérique (total)"
    name = exports.slug(f"{title}, par commune et par programme")
    full = exports.slug(f"{title}, par commune et par programme", length=1000)
    assert len(name) <= exports.SLUG_LENGTH
    assert full.startswith(name + "-")  # a whole number of words: never « …-total-p »


def test_status_counts_agree():
    assert target_charts.status_count(5, "atteint") == "5 atteints"
    assert target_charts.status_count(1, "atteint") == "1 atteint"
    assert target_charts.status_count(2, "non commencé") == "2 non commencés"
    assert target_charts.status_count(3, "en retard") == "3 en retard"
    rows = pd.DataFrame({"status": ["atteint"] * 5 + ["en retard"], "progress": [1.0] * 5 + [0.5]})
    rows["label"], rows["lag"] = "x", 0.0
    assert "5 atteints, 1 en retard" in target_charts.progress_reading(rows)


def test_map_export_is_fitted_and_described(demo_db, use_db):
    from observatoire import protected, warehouse
    from observatoire.map import choices as map_choices
    from observatoire.map import figure as map_figure
    from observatoire.map import shapes as map_shapes

    use_db(demo_db)
    choices = map_choices.MapChoices(level="commune", indicator="personnes").checked()
    view = map_choices.prepare(protected.map_values(Filters(), "commune", "personnes"), choices)
    shapes, outlines, labels, schematic = map_shapes.shapes_for(
        warehouse.map_boundaries("commune"),
        warehouse.map_boundaries("ept"),
        view.table,
        "commune",
        warehouse.territories(),
    )
    figure = map_figure.territory_map(
        view,
        shapes,
        outlines,
        labels=labels,
        names=dict(zip(view.table["code"], view.table["name"], strict=True)),
        show_names=False,
    )
    dressed = exports.press_figure(
        figure, title=view.title, subtitle="Seine-Saint-Denis", source="Source : x", demo=False
    )
    # Every name written, each once, inside the axis ranges (the map fills the plot).
    names = [a for a in dressed.layout.annotations if a.name == "nom de territoire"]
    assert len(names) == 39 and all(a.visible is not False for a in names)
    x0, x1 = dressed.layout.xaxis.range
    assert all(x0 <= a.x <= x1 for a in names)
    alt = dressed.layout.meta["press"]["alt"]
    assert alt.startswith("Carte des 39 communes de la Seine-Saint-Denis : ")
    assert "Classes" in alt
