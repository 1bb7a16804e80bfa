"""AppTest of « Répartir une enveloppe » on the demonstration warehouse (and the tiny one of
small counts, in public mode)."""

from __future__ import annotations

import json

from observatoire import allocation
from tests.small_counts import COUBRON, MONTREUIL
from webapp import ui

EST_ENSEMBLE = "200057875"


def _page(app, **query):
    app.query_params.update(query)  # the sidebar's filters are read from the link on arrival
    at = app.run()
    at.switch_page("views/allocation.py")
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def _reading(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Lecture**"))


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _table(at):
    return next(d.value for d in at.dataframe if "Commune" in d.value.columns)


def test_the_page_compares_the_rules(app):
    at = _page(app)
    assert at.title[0].value == "Répartir une enveloppe"
    table = _table(at)
    assert len(table) == 39
    for rule in allocation.BASE_RULES:
        column = allocation.SHARE_PREFIX + allocation.RULES[rule].lower()
        assert table[column].sum() == 400, rule  # the default envelope, to the unit
    reading = _reading(at).replace("\\", "")
    assert reading.startswith("**Lecture** : Avec la règle « prorata du besoin », ")
    assert "tablettes" in reading and "qu'au prorata de la population" in reading
    # One sentence per rule's method on the page.
    methods = [m.value for m in at.markdown if m.value.startswith("**")]
    for rule in allocation.BASE_RULES:
        assert f"**{allocation.RULES[rule]}** : {allocation.METHODS[rule]}" in methods
    comparison, share_map = _figures(at)
    names = {trace.get("name") for trace in comparison["data"]}
    assert "Prorata du besoin (règle choisie)" in names and "Rattrapage" in names
    assert share_map["layout"]["title"]["text"] == "Part proposée : 400 tablettes"
    assert share_map["layout"]["legend"]["orientation"] == "h"  # below the map: phone width
    assert any("Données de démonstration" in w.value for w in at.warning)
    # The « part proposée » of a commune goes into its fiche PDF (bytes: test_allocation.py).
    assert len(at.selectbox(key="a_fiche").options) == 39
    assert any("Fiche PDF avec la part proposée" in str(b.proto) for b in at.get("download_button"))


def test_choices_live_in_the_url_and_change_the_shares(app):
    at = _page(
        app,
        ept=EST_ENSEMBLE,
        aide="postes",
        enveloppe="10",
        regle="melange",
        melange="population,rattrapage",
        poids="70",
        plancher="1",
        exclure=MONTREUIL,
    )
    assert at.selectbox(key="a_measure").value == "postes"
    assert at.number_input(key="a_amount").value == 10
    assert at.selectbox(key="a_rule").value == "melange"
    assert at.slider(key="a_weight").value == 70
    assert at.multiselect(key="a_excluded").value == [MONTREUIL]
    table = _table(at).set_index("Commune")
    assert len(table) == 9  # Est Ensemble's communes
    mix = allocation.SHARE_PREFIX + "mélange de deux règles"
    assert table[mix].drop("Montreuil").sum() == 10
    assert table.at["Montreuil", mix] <= ui.STAND_IN  # text (« exclue »): the table's sort key
    assert (table[mix].drop("Montreuil") >= 1).all()  # the floor
    assert "de conseiller numérique" in _reading(at)
    # The link is rewritten from the widgets (defaults left out).
    at.number_input(key="a_amount").set_value(12).run()
    assert at.query_params["enveloppe"] == ["12"] or at.query_params["enveloppe"] == "12"
    assert "aide" in at.query_params and "regle" in at.query_params


def test_an_impossible_scenario_says_why(app):
    at = _page(app, enveloppe="10", plancher="1")
    assert any("planchers" in e.value for e in at.error)


def test_a_lecteur_sees_masked_help_and_the_page_says_so(small_db, use_db):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    use_db(small_db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/allocation.py")
    at.query_params.update({"detail": "ordinateur", "regle": "rattrapage", "cible": "2"})
    at.run()
    assert not at.exception, at.exception
    table = _table(at).set_index("Commune")
    # Text among numbers is shown as it is, with a sort key before every number.
    assert table.at["Coubron", "Aide actuelle (ordinateurs)"] <= ui.STAND_IN
    assert table.at["Coubron", allocation.AFTER_COLUMN] <= ui.STAND_IN
    assert any("forme protégée" in c.value for c in at.caption)
    assert not any(str(COUBRON) in e.value for e in at.error)


def test_changing_the_territory_keeps_the_page_alive(app):
    """An excluded commune that leaves the sidebar's territory is dropped, not refused."""
    at = _page(app, exclure=MONTREUIL, regle="melange")
    at.selectbox(key="a_mix_second").set_value("population").run()  # the same rule twice
    assert not at.exception, at.exception
    assert any("deux règles différentes" in w.value for w in at.warning)
    at.selectbox(key="f_ept").set_value("200057867").run()  # Plaine Commune
    assert not at.exception, at.exception
    assert at.multiselect(key="a_excluded").value == []
    assert len(_table(at)) == 8
