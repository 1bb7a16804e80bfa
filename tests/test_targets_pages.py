"""AppTest of the « Objectifs » page on the demonstration warehouse."""

from __future__ import annotations

import json

import pandas as pd

from observatoire.charts import targets as charts

EST_ENSEMBLE = "200057875"
PAGE = "views/targets.py"


def _open(app):
    at = app.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _figure(at, index: int) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def test_targets_page_renders_every_part(app):
    at = _open(app)
    assert at.title[0].value == "Objectifs"
    labels = [m.label for m in at.metric]
    assert labels == ["Atteint", "En bonne voie", "En cours", "Non commencé", "En retard"]
    assert sum(int(m.value) for m in at.metric) == 27  # every target of the releases
    assert any("Données de démonstration" in w.value for w in at.warning)
    assert at.expander[0].label == "Méthode"
    assert len(at.get("plotly_chart")) == 3
    table = at.dataframe[0].value
    assert len(table) == 27 and "Rythme nécessaire par mois" in table.columns
    assert table["Source"].str.contains("17/11/2020").any()
    # The EPT breakdown of the chosen target: the four EPTs.
    assert len(at.dataframe[1].value) == 4
    assert any("communiqués du 17/11/2020" in c.value for c in at.caption)


def test_laggards_first_puts_late_targets_on_top(app):
    at = _open(app)
    at.toggle(key="retard").set_value(True).run()
    assert not at.exception
    statuses = list(at.dataframe[0].value["Statut"])
    ranks = [charts.STATUSES.index(s) for s in statuses]
    assert ranks == sorted(ranks) and statuses[0] == "en retard"


def test_breakdown_by_commune_and_territory_filter(app):
    at = _open(app)
    at.segmented_control(key="echelon").set_value("commune").run()
    assert not at.exception
    assert len(at.dataframe[1].value) == 39
    at.selectbox(key="f_ept").set_value(EST_ENSEMBLE).run()
    assert not at.exception
    communes = at.dataframe[1].value
    assert len(communes) == 9 and set(communes["EPT"]) == {"Est Ensemble"}
    assert "Part de l'objectif" in at.dataframe[0].value.columns
    assert "prorata de la population" in set(at.dataframe[0].value["Part de l'objectif"])


def test_link_restores_the_page_choices(app):
    app.query_params["echelon"] = "Communes"
    app.query_params["programme"] = "confinement-2020-sim"
    app.query_params["retard"] = "true"
    at = _open(app)
    assert at.toggle(key="retard").value
    assert at.segmented_control(key="echelon").value == "commune"
    assert len(at.dataframe[0].value) == 3
    assert len(at.dataframe[1].value) == 39
    # A target with a deadline: the straight line and the cumulative achievement.
    trajectory = _figure(at, 1)
    names = [trace.get("name") for trace in trajectory["data"]]
    assert names == ["Trajectoire vers l'objectif (ligne droite)", "Réalisé cumulé"]
    assert trajectory["data"][0]["y"] == [0, 1800]


def test_without_demonstration_data_nothing_is_started(app):
    app.query_params["demo"] = "0"
    at = _open(app)
    assert not any("Données de démonstration" in w.value for w in at.warning)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Non commencé"] == "27"
    table = at.dataframe[0].value
    assert (pd.to_numeric(table["Réalisé"]) == 0).all()
