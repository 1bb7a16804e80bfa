"""AppTest of the « Financements » page on the demonstration warehouse."""

from __future__ import annotations

import json

import pytest

from observatoire import exports
from observatoire.charts import funding as charts

EST_ENSEMBLE = "200057875"
PAGE = "views/funding.py"


def _open(app):
    at = app.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_funding_page_renders_every_part(app):
    at = _open(app)
    assert at.title[0].value == "Financements"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Financements engagés"] == "5\u00a0419\u00a0000\u00a0€"
    assert metrics["Échelle départementale"] == "1\u00a0038\u00a0000\u00a0€"
    assert any("Données de démonstration" in w.value for w in at.warning)
    figures = _figures(at)
    assert len(figures) == 4
    sankey = figures[2]["data"][0]
    assert sankey["type"] == "sankey"
    assert "Échelle départementale (non ventilé)" in sankey["node"]["label"]
    assert sum(sankey["link"]["value"]) == pytest.approx(2 * 5_419_000)
    funders = at.dataframe[0].value
    assert set(funders["Type"]) == set(charts.FUNDER_TYPES)
    assert funders["Montant (€)"].sum() == pytest.approx(5_419_000)
    # The cost table: euros per conseiller post.
    costs = at.dataframe[3].value.set_index("Programme")
    assert costs.loc[
        "Conseillers numériques France Services (France Relance)", "€ par poste"
    ] == pytest.approx(2_950_000 / 62)


def test_territory_filter_counts_only_attributed_money(app):
    app.query_params["ept"] = EST_ENSEMBLE
    at = _open(app)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Échelle départementale"] == "–"
    assert any("ne sont pas répartis" in c.value for c in at.caption)
    sankey = _figures(at)[2]["data"][0]
    assert "Échelle départementale (non ventilé)" not in sankey["node"]["label"]
    assert "Montreuil" in sankey["node"]["label"]
    assert "EPT Est Ensemble (non ventilé)" in sankey["node"]["label"]


def test_allocation_is_on_request_and_stated(app):
    at = _open(app)
    territories = at.dataframe[2].value
    assert len(territories) == 4
    assert not any("prorata" in c for c in territories.columns)
    at.segmented_control(key="niveau").set_value("commune").run()
    at.toggle(key="repartir").set_value(True).run()
    assert not at.exception
    territories = at.dataframe[2].value
    assert len(territories) == 39
    assert "Part des financements départementaux (€, prorata)" in territories.columns
    assert territories["Part des financements départementaux (€, prorata)"].sum() == (
        pytest.approx(1_038_000)
    )
    assert any("Répartition conventionnelle" in c.value for c in at.caption)


def test_tables_download_as_csv_and_xlsx(app):
    at = _open(app)
    table = at.dataframe[0].value
    csv = exports.to_csv(table, french=True).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Financeur;Type;Montant (€)")
    assert exports.to_xlsx(table)[:2] == b"PK"


def test_no_funding_under_the_filters(app):
    app.query_params["demo"] = "0"
    at = _open(app)
    assert any("Aucun financement" in i.value for i in at.info)
    assert not at.get("plotly_chart")
