"""« Aide et besoins » readable whatever the spread: an outlier set apart at the top edge (and
said), names that never overlap (the priority and chosen territories written, the others on
hover), the chosen commune or EPT highlighted among all the others rather than alone."""

from __future__ import annotations

import pandas as pd

from observatoire import need
from observatoire.charts import need as need_charts
from observatoire.filters import Filters
from tests.test_need_pages import _figure, _names, _need_page, _reading


def _view(chosen=frozenset(), scope=None):
    rates = [2.0 + (i % 9) * 0.9 for i in range(39)]
    rates[7] = 88.0  # one commune far above the others
    help_values = pd.DataFrame(
        {
            "code": [f"c{i:02d}" for i in range(39)],
            "name": [f"Commune numéro {i}" for i in range(39)],
            "ept_code": [f"e{i % 4}" for i in range(39)],
            "ept_name": [f"EPT {i % 4}" for i in range(39)],
            "population": [1000] * 39,
            "value": rates,
            "records": [1] * 39,
            "has_demo": [False] * 39,
        }
    )
    need_values = pd.DataFrame(
        {"code": help_values["code"], "value": [4 + (i * 7 % 13) / 5 for i in range(39)]}
    )
    table = need.scatter_table(help_values, need_values, people=False)
    return need.analyse(
        table,
        level="commune",
        direction="fragile_haut",
        need_label="Besoin",
        help_label="Aide",
        scope=scope,
        chosen=set(chosen),
    )


def _boxes(figure):
    """The pixel boxes of the written names, as need_charts placed them."""
    x0, x1 = figure.layout.xaxis.range
    y0, y1 = figure.layout.yaxis.range
    boxes = []
    for a in figure.layout.annotations:
        if a.name != "nom":
            continue
        px = (a.x - x0) / (x1 - x0) * need_charts.PLOT_WIDTH + a.ax
        py = (1 - (a.y - y0) / (y1 - y0)) * need_charts.PLOT_HEIGHT + a.ay
        text = a.text.replace("<b>", "").replace("</b>", "")
        w, h = need_charts.label_size(text)
        boxes.append((text, (px - w / 2, py - h / 2, px + w / 2, py + h / 2)))
    return boxes


def test_an_outlier_is_set_apart_and_said():
    view = _view()
    figure = need_charts.need_scatter(view, "Titre")
    top = figure.layout.yaxis.range[1]
    assert top < 20  # not 88: the 38 others use the height of the chart
    assert max(y for trace in figure.data for y in trace.y) <= top
    notes = " ".join(a.text for a in figure.layout.annotations)
    assert "échelle coupée" in figure.layout.yaxis.title.text
    assert "Commune numéro 7 : 88,0 ↑" in notes
    note = need.scale_note(view)
    assert "Commune numéro 7 (88,0)" in note and "coupée" in note
    # Without an outlier, the axis starts at 0 and holds every point; nothing is said.
    calm = _view()
    calm.table.loc[calm.table["code"] == "c07", "help_rate"] = 5.0
    assert need.scale_note(calm) is None


def test_names_never_overlap_and_only_priority_and_chosen_are_written():
    view = _view(chosen={"c03"})
    figure = need_charts.need_scatter(view, "Titre")
    boxes = _boxes(figure)
    written = {text.split(" : ")[0] for text, _ in boxes}
    expected = set(view.priority["name"]) | {"Commune numéro 3", "Commune numéro 7"}
    assert written == expected
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            assert need_charts._overlap(box_a, box_b) == 0, (a, b)
    # Every name is still there on hover.
    hover = [n for trace in figure.data if trace.text is not None for n in trace.text]
    assert len(hover) == 39


def test_the_chosen_commune_stands_out_among_all_the_others():
    view = _view(chosen={"c03"})
    assert len(view.placed) == 39  # not a single point
    figure = need_charts.need_scatter(view, "Titre")
    ring = next(t for t in figure.data if t.name == "Territoire choisi")
    assert list(ring.x) == list(view.placed.loc[view.placed["code"] == "c03", "need"])
    chosen = [a.text for a in figure.layout.annotations if a.name == "nom"]
    assert "<b>Commune numéro 3</b>" in chosen
    # The others are faded, the chosen one is not.
    opacities = {
        name: o
        for trace in figure.data
        if trace.text is not None
        for name, o in zip(trace.text, trace.marker.opacity, strict=True)
    }
    assert opacities["Commune numéro 3"] == 1 and opacities["Commune numéro 4"] < 1


def test_scope_of_the_filters():
    territories = pd.DataFrame({"code": ["a", "b", "c"], "ept_code": ["E", "E", "F"]})
    assert need.scope_of(Filters(communes=("a",)), "commune", territories) == (None, {"a"})
    assert need.scope_of(Filters(ept="E"), "commune", territories) == ({"a", "b"}, set())
    assert need.scope_of(Filters(ept="E"), "ept", territories) == (None, {"E"})
    assert need.scope_of(Filters(communes=("c",)), "ept", territories) == (None, set())
    assert need.whole(Filters(communes=("c",)), "ept").communes == ("c",)
    assert need.whole(Filters(communes=("c",)), "commune").communes == ()
    view = _view(scope={"c00", "c01", "c02"})
    assert len(view.table) == 3 and len(view.context) == 36
    figure = need_charts.need_scatter(view, "Titre")
    grey = next(t for t in figure.data if t.name == "Autres territoires")
    assert len(grey.hovertext) == 36 and grey.text is None


def test_one_commune_chosen_on_the_page_is_shown_among_the_39(app):
    at = _need_page(app)
    at.multiselect(key="f_communes").set_value(["93048"]).run()
    assert not at.exception
    figure = _figure(at)
    assert len(_names(figure)) == 39  # every commune placed, not one point alone
    assert any(t.get("name") == "Territoire choisi" for t in figure["data"])
    written = [a["text"] for a in figure["layout"]["annotations"] if a.get("name") == "nom"]
    assert "<b>Montreuil</b>" in written
    assert "sur 39" in _reading(at)
    # The tables hold the chosen commune's figures only, as on every page.
    assert list(need.display_table(_view(chosen={"c03"}))["Territoire"]) == ["Commune numéro 3"]
