"""AppTest of « Aide et besoins » and of the territory sheet's « Besoins » section on the
demonstration warehouse (and the tiny one of small counts, in public mode)."""

from __future__ import annotations

import json

import pytest

from tests.small_counts import COUBRON, DUGNY

EST_ENSEMBLE, MONTREUIL, SAINT_DENIS = "200057875", "93048", "93066"


def _need_page(app, **query):
    at = app.run()
    at.switch_page("views/need.py")
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def _figure(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def _names(figure: dict) -> list[str]:
    return [name for trace in figure["data"] for name in trace.get("text", [])]


def _reading(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Lecture**"))


def test_need_page_renders_the_scatter_priorities_and_reading(app):
    at = _need_page(app)
    assert at.title[0].value == "Aide et besoins"
    figure = _figure(at)
    assert len(_names(figure)) == 39  # every commune placed, its name written
    assert "Médiane du besoin" in " ".join(a["text"] for a in figure["layout"]["annotations"])
    assert figure["layout"]["xaxis"]["title"]["text"].startswith("Indice de fragilité")
    reading = _reading(at)
    assert "communes sur 39 ont un besoin supérieur à la médiane" in reading.replace("\\", "")
    priority = at.dataframe[0].value
    assert len(priority) > 0 and {"Territoire", "EPT", "Population"} <= set(priority.columns)
    assert str(len(priority)) + " communes sur 39" in reading.replace("\\", "")
    assert any("Besoin : Indice de fragilité numérique" in c.value for c in at.caption)
    assert any("Données de démonstration" in w.value for w in at.warning)


def test_need_page_choices_live_in_the_url(app):
    at = _need_page(app, niveau="ept", aide="quantite", detail="ordinateur", besoin="ifn_pauvrete")
    assert at.segmented_control(key="n_level").value == "ept"
    assert at.selectbox(key="n_item").value == "ordinateur"
    assert at.selectbox(key="n_indicator").value == "ifn_pauvrete"
    figure = _figure(at)
    assert sorted(_names(figure)) == [
        "Est Ensemble",
        "Grand Paris Grand Est",
        "Paris Terres d'Envol",
        "Plaine Commune",
    ]
    assert "EPT prioritaires" in [s.value for s in at.subheader]
    at.selectbox(key="n_measure").set_value("postes").run()
    assert not at.exception
    assert at.query_params["aide"] == "postes" and "detail" not in at.query_params
    at.segmented_control(key="n_level").set_value("commune").run()
    assert "niveau" not in at.query_params
    assert at.query_params["besoin"] == "ifn_pauvrete"


def test_need_page_bad_url_values_fall_back(app):
    at = _need_page(app, niveau="pays", aide="vent", besoin="inconnu")
    assert at.selectbox(key="n_indicator").value == "ifn"
    assert at.selectbox(key="n_measure").value == "personnes"


def test_need_page_honours_the_global_filters(app):
    at = _need_page(app)
    at.selectbox(key="f_ept").set_value(EST_ENSEMBLE).run()
    assert not at.exception
    assert len(_names(_figure(at))) == 9
    assert "sur 9" in _reading(at)


def test_need_page_does_not_place_masked_help(small_app):
    at = _need_page(small_app)
    names = _names(_figure(at))
    assert "Coubron" not in names and "Dugny" not in names
    # The protected tables hide every commune with records of this tiny warehouse: Coubron's
    # 3 (« < 5 ») and, so that no subtraction (an EPT minus its other communes, a month, a
    # programme) tells it, the others too (« secret »). The old per-table masking hid only
    # Dugny beside it and placed Montreuil.
    assert "Montreuil" not in names
    reading = _reading(at).replace("\\", "")
    assert "aide masquée : Aubervilliers, Bobigny, Coubron, Dugny et Montreuil" in reading
    assert any("n'est pas placé sur le graphique" in c.value for c in at.caption)
    for trace in _figure(at)["data"]:
        assert COUBRON not in json.dumps(trace) and DUGNY not in json.dumps(trace)


@pytest.fixture
def small_app(app, small_db):
    return app


@pytest.mark.parametrize("code", [SAINT_DENIS, EST_ENSEMBLE])
def test_sheet_needs_section(app, code):
    at = app.run()
    at.switch_page("views/territory.py")
    at.query_params["code"] = code
    at.run()
    assert not at.exception, at.exception
    assert "Besoins" in [s.value for s in at.subheader]
    assert any("pondérée par la population" in c.value for c in at.caption)
    needs = next(d.value for d in at.dataframe if "Indicateur" in d.value and "Source" in d.value)
    assert len(needs) == 6 and "Seine-Saint-Denis" in needs.columns
    assert ("EPT Plaine Commune" in needs.columns) == (code == SAINT_DENIS)
    assert set(needs["Année"]) == {"2021-2023"}
    places = next(d.value for d in at.dataframe if "Lieu" in d.value)
    assert set(places["État"]) <= {"à jour", "à vérifier", "à actualiser", "date inconnue"}
    if code == SAINT_DENIS:
        assert len(places) == 6
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    scores = next(f for f in figures if "Sous-scores" in f["layout"]["title"]["text"])
    assert scores["layout"]["xaxis"]["range"] == [0, 10]
    assert any("lieux, mis à jour du" in c.value for c in at.caption)
