"""AppTest of the map page and the territory sheet on the demonstration warehouse."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED_REFERENCE

MONTREUIL, EST_ENSEMBLE = "93048", "200057875"


def _map(app, **query):
    """The map page, arrived at with QUERY in the URL (as a shared link does)."""
    at = app.run()
    at.switch_page("pages/map.py")
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def _figure(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def _legend(figure: dict) -> list[str]:
    return [
        t["name"]
        for t in figure["data"]
        if t.get("showlegend", True)
        and t.get("name")
        and t["name"] not in ("territoires",)
        and not t["name"].startswith("EPT ")
    ]


def test_schematic_map_without_boundaries(app):
    at = _map(app)
    assert at.title[0].value == "Carte"
    assert any("Carte schématique" in i.value for i in at.info)
    assert any("python -m etl boundaries" in i.value for i in at.info)
    figure = _figure(at)
    assert "carte schématique" in figure["layout"]["title"]["text"]
    markers = next(t for t in figure["data"] if t.get("name") == "territoires")
    assert len(markers["customdata"]) == 39
    assert "MTR" in markers["text"]
    reading = next(m.value for m in at.markdown if m.value.startswith("**Lecture**"))
    assert "personnes touchées" in reading


def test_table_and_legend_match(app):
    at = _map(app)
    table = at.dataframe[0].value
    assert len(table) == 39
    montreuil = table[table["Commune"] == "Montreuil"].iloc[0]
    assert montreuil["EPT"] == "Est Ensemble"
    legend = _legend(_figure(at))
    counts = [int(name.rsplit("(", 1)[1].split()[0]) for name in legend]
    assert sum(counts) == 39


def test_choices_live_in_the_url(app):
    at = _map(app, niveau="ept", indicateur="postes", normalisation="habitants", classes="3")
    table = at.dataframe[0].value
    assert list(table.columns[:1]) == ["EPT"] and len(table) == 4
    assert "Pour 1 000 habitants" in table.columns
    title = _figure(at)["layout"]["title"]["text"]
    assert "pour 1 000 habitants, par EPT" in title
    assert at.slider(key="m_classes").value == 3
    # Changing a widget rewrites the URL.
    at.selectbox(key="m_indicator").set_value("euros").run()
    assert at.query_params["indicateur"] == "euros"
    at.segmented_control(key="m_level").set_value("commune").run()
    assert "niveau" not in at.query_params  # the default is left out of the link


def test_progress_towards_a_target(app):
    at = _map(app, indicateur="objectif")
    table = at.dataframe[0].value
    assert "Avancement (%)" in table.columns and "Règle de partage" in table.columns
    assert any("Part de l'objectif de chaque territoire" in c.value for c in at.caption)


def test_missing_data_is_named_not_zero(app):
    at = _map(app, indicateur="postes")
    legend = _legend(_figure(at))
    assert any(name.startswith("pas de données (10 communes)") for name in legend)
    table = at.dataframe[0].value
    assert (table["Classe"] == "pas de données").sum() == 10


def test_with_official_boundaries(app, demo_db):
    import duckdb

    from etl import boundaries

    con = duckdb.connect(str(demo_db))
    boundaries.migrations.migrate(con)
    boundaries.load_file(con, SHARED_REFERENCE / "communes-93.geojson")
    con.close()
    at = _map(app)
    assert not any("Carte schématique" in i.value for i in at.info)
    figure = _figure(at)
    assert "schématique" not in figure["layout"]["title"]["text"]
    filled = [t for t in figure["data"] if t.get("fill") == "toself"]
    assert len(filled) == 39


def test_ept_filter_narrows_the_map(app):
    app.query_params["ept"] = EST_ENSEMBLE
    at = _map(app)
    assert len(at.dataframe[0].value) == 9


def test_bad_thresholds_say_so(app):
    at = _map(app, classement="manuel", seuils="100 ; beaucoup")
    assert any("Seuil illisible" in e.value for e in at.error)


@pytest.mark.parametrize("code", [MONTREUIL, EST_ENSEMBLE])
def test_territory_sheet(app, code):
    at = app.run()
    at.switch_page("pages/territory.py")
    at.query_params["code"] = code
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == ("Montreuil" if code == MONTREUIL else "EPT Est Ensemble")
    comparison = at.dataframe[0].value
    assert "Seine-Saint-Denis" in comparison.columns
    records = at.dataframe[1].value
    assert len(records) > 0
    if code == MONTREUIL:
        assert set(records["Commune"]) == {"Montreuil"}
