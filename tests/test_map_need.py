"""The map's need side (#13) and its drawing (#12): published indicators (IFN…), places of
digital mediation, commune names and the contours' attribution. Figures hand-computed from
the populations of data/reference/communes.csv (population municipale 2023)."""

from __future__ import annotations

import base64
import json
import time
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from core import store
from observatoire import disclosure, exports, warehouse
from observatoire.filters import Filters
from observatoire.map import choices as map_choices
from observatoire.map import figure as map_figure
from observatoire.map import labels as map_labels
from observatoire.map import places as map_places
from observatoire.map import reading as map_reading
from observatoire.map import shapes as map_shapes
from tests.conftest import SHARED_REFERENCE

MONTREUIL, BOBIGNY, PRE_SAINT_GERVAIS = "93048", "93008", "93061"
EST_ENSEMBLE = "200057875"
POP_MONTREUIL, POP_BOBIGNY, POP_EST_ENSEMBLE = 111_934, 56_927, 447_969

IFN = map_choices.NeedIndicator(
    "ifn",
    "Indice de fragilité numérique (total)",
    measure="score",
    direction="fragile_haut",
    grp="Fragilité numérique",
    source="La MedNum – Indice de fragilité numérique",
    vintage="2021-2023",
    scale=(0.0, 10.0),
)
CATALOGUE = {
    "ifn": IFN,
    "ifn_pauvrete": map_choices.NeedIndicator(
        "ifn_pauvrete", "IFN – pauvreté", grp="Fragilité numérique", scale=(0.0, 10.0)
    ),
    "pop_75": map_choices.NeedIndicator(
        "pop_75", "Personnes de 75 ans et plus", unit="nombre", measure="effectif", grp="Population"
    ),
}


# Choices and their URL ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"indicateur": "besoin", "detail": "ifn_pauvrete"},
        {"indicateur": "besoin", "detail": "pop_75", "normalisation": "habitants"},
        {"indicateur": "besoin", "classement": "quantiles", "niveau": "ept"},
        {"indicateur": "lieux", "lieux_programmes": "France Services,Aidants Connect"},
        {"indicateur": "lieux", "normalisation": "brut"},
        {"lieux": "1", "lieux_services": "Prendre en main un ordinateur", "noms": "0"},
        {"niveau": "ept", "indicateur": "postes", "normalisation": "habitants", "classes": "3"},
    ],
)
def test_choices_round_trip_through_the_url(query):
    choices = map_choices.MapChoices.from_query(query, CATALOGUE)
    again = map_choices.MapChoices.from_query(choices.to_query(), CATALOGUE)
    assert again == choices
    expected = {k: v for k, v in query.items() if not (k == "detail" and v == "ifn")}
    assert choices.to_query() == expected


def test_need_defaults_score_scale_and_normalisation():
    choices = map_choices.MapChoices.from_query({"indicateur": "besoin"}, CATALOGUE)
    assert choices.key == "ifn" and choices.need == IFN
    assert choices.to_query() == {"indicateur": "besoin"}  # ifn is the default detail
    # A score is never « pour 1 000 habitants »; a link asking for it gets the value.
    asked = map_choices.MapChoices.from_query(
        {"indicateur": "besoin", "detail": "ifn", "normalisation": "habitants"}, CATALOGUE
    )
    assert asked.normalisations == ["brut"] and asked.norm == "brut"
    # Its default classes cut its own scale 0–10 in equal intervals.
    assert choices.method == "egal" and choices.scale == (0.0, 10.0)
    # A count may be per inhabitant.
    count = map_choices.MapChoices.from_query(
        {"indicateur": "besoin", "detail": "pop_75"}, CATALOGUE
    )
    assert count.normalisations == ["brut", "habitants"] and count.method == "quantiles"
    # Places: per 10 000 inhabitants by default.
    places = map_choices.MapChoices.from_query({"indicateur": "lieux"}, CATALOGUE)
    assert places.norm == "dix_mille" and places.to_query() == {"indicateur": "lieux"}


def test_old_links_keep_their_meaning():
    old = {"niveau": "ept", "indicateur": "quantite", "detail": "ordinateur"}
    choices = map_choices.MapChoices.from_query(old | {"normalisation": "habitants"}, CATALOGUE)
    assert (choices.level, choices.indicator, choices.key, choices.norm) == (
        "ept",
        "quantite",
        "ordinateur",
        "habitants",
    )
    assert choices.method == "quantiles" and not choices.places and choices.names
    # An unknown need indicator falls back to the IFN; a warehouse without any to the default.
    assert map_choices.MapChoices.from_query(
        {"indicateur": "besoin", "detail": "inconnu"}, CATALOGUE
    ).key == ("ifn")
    assert map_choices.MapChoices.from_query({"indicateur": "besoin"}, {}).indicator == (
        "personnes"
    )


def test_widgets_round_trip():
    choices = map_choices.MapChoices.from_query(
        {"indicateur": "besoin", "detail": "ifn_pauvrete", "lieux": "1", "noms": "0"}, CATALOGUE
    )
    assert map_choices.MapChoices.from_widgets(choices.widget_state(), CATALOGUE) == choices


def test_scores_are_classed_on_their_own_scale_and_never_masked():
    values = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "ept_code": ["e"] * 3,
            "ept_name": ["E"] * 3,
            "population": [1000, 2000, 3000],
            "value": [2.5, 4.1, 3.0],  # small numbers: not counts of people
            "has_demo": [False] * 3,
        }
    )
    choices = map_choices.MapChoices.from_query({"indicateur": "besoin"}, CATALOGUE)
    view = map_choices.prepare(values, choices)
    assert view.classes.bounds == (0.0, 2.0, 4.0, 6.0, 8.0, 10.0)
    assert not view.masked.any() and not view.people
    assert not disclosure.counts_people("besoin") and not disclosure.counts_people("lieux")
    assert view.units.raw(4.1) == "4,1 sur 10"
    assert map_figure.legend_title(view) == "Score de 0 à 10<br>plus haut = plus fragile"


# Queries: EPT weighted mean, places per 10 000 ------------------------------------------------


@pytest.fixture
def need_db(empty_db, use_db):
    """The reference warehouse with a hand-made score (Montreuil 2, Bobigny 8, nothing else
    in Est Ensemble) and four places (three in Montreuil, one in Bobigny without
    coordinates) instead of the shipped ones."""
    con = duckdb.connect(str(empty_db))
    con.execute(
        "INSERT INTO indicators VALUES ('test_score', 'Score test', 'score', 0, 10, "
        "'fragile_haut', 'score', 'Autres indicateurs', 'Producteur test', '2024', 99)"
    )
    con.execute(
        "INSERT INTO indicator_values VALUES "
        f"('{MONTREUIL}', 'test_score', 2024, 2, NULL, false, 99), "
        f"('{BOBIGNY}', 'test_score', 2024, 8, NULL, false, 99)"
    )
    con.execute("DELETE FROM lieux")
    con.execute(
        """INSERT INTO lieux (id, nom, commune_code, adresse, code_postal, latitude, longitude,
               services, programmes, date_maj, is_demo, load_id) VALUES
           ('1', 'Médiathèque', '93048', '1 rue A', '93100', 48.862, 2.443,
            ['Prendre en main un ordinateur'], ['Conseillers numériques'], DATE '2026-06-01',
            false, 99),
           ('2', 'Maison France services', '93048', '2 rue B', '93100', 48.860, 2.450,
            ['Aide aux démarches'], ['France Services', 'Conseillers numériques'],
            DATE '2025-09-01', false, 99),
           ('3', 'Centre social', '93048', NULL, NULL, 48.865, 2.460, [], ['Aidants Connect'],
            NULL, false, 99),
           ('4', 'Espace sans adresse', '93008', NULL, NULL, NULL, NULL, [],
            ['Conseillers numériques'], DATE '2026-01-01', false, 99)"""
    )
    con.close()
    return use_db(empty_db)


def test_ept_value_is_the_population_weighted_mean_of_its_communes(need_db):
    frame = warehouse.need_values(Filters(), "ept", "test_score").set_index("code")
    # (2 × 111 934 + 8 × 56 927) ÷ (111 934 + 56 927): communes without a value weigh nothing.
    assert frame.loc[EST_ENSEMBLE, "value"] == pytest.approx(679_284 / 168_861)
    assert frame.loc[EST_ENSEMBLE, "records"] == 2
    assert pd.isna(frame.loc["200057867", "value"])  # Plaine Commune: no value, no data
    communes = warehouse.need_values(Filters(), "commune", "test_score").set_index("code")
    assert communes.loc[MONTREUIL, "value"] == 2 and pd.isna(communes.loc["93001", "value"])


def test_places_per_10_000_inhabitants(need_db):
    choices = map_choices.MapChoices.from_query({"indicateur": "lieux"})
    counts = warehouse.place_counts(Filters(), "commune")
    view = map_choices.prepare(counts, choices)
    shown = view.table.set_index("code")["shown"]
    assert shown[MONTREUIL] == pytest.approx(3 * 10_000 / POP_MONTREUIL)
    assert shown[BOBIGNY] == pytest.approx(1 * 10_000 / POP_BOBIGNY)  # counted, not drawn
    assert shown["93001"] == 0  # no place: zero, not « pas de données »
    ept = warehouse.place_counts(Filters(), "ept").set_index("code")
    assert ept.loc[EST_ENSEMBLE, "value"] == 4
    assert 4 * 10_000 / ept.loc[EST_ENSEMBLE, "population"] == pytest.approx(
        4 * 10_000 / POP_EST_ENSEMBLE
    )
    # The programme filter narrows the count: places naming any of the chosen programmes.
    france_services = warehouse.place_counts(Filters(), "commune", ("France Services",))
    assert france_services.set_index("code").loc[MONTREUIL, "value"] == 1
    both = warehouse.place_counts(Filters(), "ept", ("France Services", "Aidants Connect"))
    assert both.set_index("code").loc[EST_ENSEMBLE, "value"] == 2


def test_places_in_view_and_those_without_coordinates(need_db):
    box = (2.40, 48.80, 2.50, 48.90)
    places = warehouse.map_places(Filters(), box)
    assert sorted(places["nom"]) == ["Centre social", "Maison France services", "Médiathèque"]
    assert set(places.columns) == {
        "nom",
        "adresse",
        "code_postal",
        "commune",
        "latitude",
        "longitude",
        "services",
        "programmes",
        "date_maj",
    }
    assert len(warehouse.map_places(Filters(), (2.0, 48.0, 2.1, 48.1))) == 0  # out of view
    totals = warehouse.place_totals(Filters())
    assert (totals["places"], totals["unplaced"]) == (4, 1)
    options = warehouse.place_options(Filters())
    assert set(options.loc[options["kind"] == "programme", "value"]) == {
        "Conseillers numériques",
        "France Services",
        "Aidants Connect",
    }


# Freshness of the places' information ---------------------------------------------------------


TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    "updated, expected",
    [
        (date(2026, 11, 30), "a_jour"),
        (date(2025, 12, 1), "a_jour"),  # exactly 12 months: not yet
        (date(2025, 11, 30), "a_verifier"),
        (date(2025, 6, 1), "a_verifier"),  # exactly 18 months: not yet
        (date(2025, 5, 31), "a_actualiser"),
        (None, "a_actualiser"),  # no date: to be updated
    ],
)
def test_freshness_with_a_fixed_today(updated, expected):
    assert map_places.freshness(updated, TODAY) == expected


def test_months_before_a_month_end():
    assert map_places.months_before(date(2026, 8, 31), 18) == date(2025, 2, 28)


def _places_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nom": ["A", "B", "C"],
            "adresse": ["1 rue A", None, None],
            "code_postal": ["93100", None, None],
            "commune": ["Montreuil"] * 3,
            "latitude": [48.86, 48.861, 48.862],
            "longitude": [2.44, 2.441, 2.442],
            "services": ["Prendre en main un ordinateur", "", ""],
            "programmes": ["Conseillers numériques", "France Services", ""],
            "date_maj": [pd.Timestamp("2026-10-01"), pd.Timestamp("2025-09-01"), pd.NaT],
        }
    )


def test_places_are_drawn_with_a_shape_per_freshness():
    import plotly.graph_objects as go

    fig = go.Figure()
    drawn = map_places.add_places(fig, _places_frame(), TODAY)
    assert drawn == {"a_jour": 1, "a_verifier": 1, "a_actualiser": 1}
    symbols = {trace.name: trace.marker.symbol for trace in fig.data}
    assert len(set(symbols.values())) == 3  # shape, not colour alone
    assert all(name.startswith(map_places.PLACES_PREFIX) for name in symbols)
    hover = [text for trace in fig.data for text in trace.hovertext]
    assert "<b>A</b><br>1 rue A 93100 Montreuil" in hover[0]
    assert "Services : Prendre en main un ordinateur" in hover[0]
    assert "Dispositifs : Conseillers numériques" in hover[0]
    assert "Mis à jour : 01/10/2026" in hover[0]
    assert "<b>à vérifier</b>" in hover[1] and "date inconnue — <b>à actualiser</b>" in hover[2]


# Names and attribution on the official contours -----------------------------------------------


@pytest.fixture(scope="module")
def contours():
    frame = pd.read_json(SHARED_REFERENCE / "communes-93.geojson")
    features = frame["features"]
    shapes = {
        f["properties"]["code"]: map_shapes._scaled(
            __import__("shapely").geometry.shape(f["geometry"])
        )
        for f in features
    }
    names = {f["properties"]["code"]: f["properties"]["nom"] for f in features}
    return shapes, names


def test_every_commune_is_named_inside_or_beside_it(contours):
    shapes, names = contours
    labels = {label.code: label for label in map_labels.place_labels(shapes, names)}
    assert set(labels) == set(shapes)
    for code, label in labels.items():
        # The anchor is inside its commune; a name beside it has a leader line.
        assert shapes[code].buffer(1e-9).contains(__import__("shapely").Point(label.x, label.y))
        assert label.inside or (label.ax, label.ay) != (0, 0)
    assert labels["93066"].inside  # Saint-Denis: large
    assert not labels[PRE_SAINT_GERVAIS].inside  # too small for its name
    assert map_labels.wrapped("Le Pré-Saint-Gervais") == ["Le Pré-Saint-", "Gervais"]


def _map_view(choices) -> map_choices.MapView:
    values = pd.DataFrame(
        {
            "code": ["93048", "93008"],
            "name": ["Montreuil", "Bobigny"],
            "ept_code": [EST_ENSEMBLE] * 2,
            "ept_name": ["Est Ensemble"] * 2,
            "population": [POP_MONTREUIL, POP_BOBIGNY],
            "value": [4.2, 5.8],
            "has_demo": [False, False],
        }
    )
    return map_choices.prepare(values, choices)


def test_map_figure_names_places_and_attribution(contours, chromium):
    shapes, names = contours
    shapes = {c: shapes[c] for c in ("93048", "93008")}
    choices = map_choices.MapChoices.from_query(
        {"indicateur": "besoin", "lieux": "1", "noms": "0"}, CATALOGUE
    )
    view = _map_view(choices)
    fig = map_figure.territory_map(
        view, shapes, {}, names=names, show_names=False, places=_places_frame(), today=TODAY
    )
    labels = [a for a in fig.layout.annotations if a.name == map_labels.LABEL_NAME]
    assert [a.text for a in labels] == ["Montreuil", "Bobigny"]
    assert not any(a.visible for a in labels)  # switched off on screen…
    exported = map_figure.with_names(fig)
    assert all(a.visible for a in exported.layout.annotations)  # …always in exported images
    assert fig.layout.meta["attribution"] == map_figure.CONTOURS_ATTRIBUTION
    dressed = exports.press_figure(
        exported, title="IFN", source="Source : La MedNum – IFN, 2021-2023", demo=False
    )
    footer = dressed.layout.annotations[-1].text
    assert "Source : La MedNum – IFN, 2021-2023" in footer
    assert "Contours : IGN – ADMIN EXPRESS, Licence Ouverte" in footer
    png = exports.render_image(dressed, "png")
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    # The schematic map cannot place points, and carries no IGN attribution.
    tiles = map_shapes.tile_shapes(
        pd.DataFrame({"code": ["93048", "93008"], "ept_code": [EST_ENSEMBLE] * 2}), "commune"
    )
    schematic = map_figure.territory_map(
        view, tiles, {}, schematic=True, names=names, places=_places_frame(), today=TODAY
    )
    assert not [t for t in schematic.data if (t.name or "").startswith("Lieu ")]
    assert exports.figure_attribution(schematic) is None


def test_source_line_of_a_published_indicator():
    choices = map_choices.MapChoices.from_query({"indicateur": "besoin", "lieux": "1"}, CATALOGUE)
    view = _map_view(choices)
    sources = pd.DataFrame(
        {"source_label": ["ANCT – France services (référentiel)"], "last_update": ["2022-11-15"]}
    )
    text = map_reading.source_text(
        view, "Source : Département…", map_reading.places_source_text(sources)
    )
    assert text == (
        "Source : La MedNum – Indice de fragilité numérique, 2021-2023 ; lieux : ANCT – "
        "France services (informations mises à jour jusqu'au 15/11/2022)"
    )
    notes = " ".join(map_reading.notes(view, {}))
    assert "2021-2023" in notes and "plus haut = plus fragile" in notes


# Speed: the places in view among 100 000 --------------------------------------------------------


def test_map_places_query_among_100_000_places(need_db):
    con = duckdb.connect(str(need_db))
    # Spread over mainland France, as the national file of places is.
    con.execute(
        """INSERT INTO lieux (id, nom, commune_code, adresse, latitude, longitude, services,
               programmes, date_maj, is_demo, load_id)
           SELECT 'x' || i, 'Lieu ' || i, '93048', 'adresse ' || i,
                  42.0 + (i % 1000) * 0.009, -4.5 + (i // 1000) * 0.12,
                  ['Prendre en main un ordinateur'], ['Conseillers numériques'],
                  DATE '2025-01-01' + (i % 700)::INTEGER, false, 99
           FROM range(100000) t(i)"""
    )
    con.close()
    warehouse._cached.clear()
    warehouse.READER.release()
    box = (2.33, 48.80, 2.61, 49.01)  # the 93
    params = Filters().params() | {
        "lat_min": box[1],
        "lat_max": box[3],
        "lon_min": box[0],
        "lon_max": box[2],
        "limit": warehouse.PLACES_LIMIT,
        "place_programmes": ["Conseillers numériques"],
        "place_services": [],
    }
    warehouse.run("map_places", params)  # warm the kept connection
    # Measured in CPU time (the process's, DuckDB's threads included): on a shared test
    # machine the wall-clock time says more about the neighbours than about the query.
    # About 25 ms here; 100 ms is the page's budget for it.
    timings = []
    for _ in range(5):
        start = time.process_time()
        rows = warehouse.run("map_places", params)
        timings.append(time.process_time() - start)
    assert 0 < len(rows) < 1_000  # only the places in view, of a country's 100 000
    assert min(timings) < 0.1, timings


def _length(array) -> int:
    if isinstance(array, dict):
        return len(np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]))
    return len(array)


def test_need_page_apptest(app, demo_db):
    from etl import boundaries

    con = duckdb.connect(str(demo_db))
    store.migrate(con)
    boundaries.load_file(con, SHARED_REFERENCE / "communes-93.geojson")
    con.close()
    at = app.run()
    at.switch_page("views/map.py")
    at.query_params.update({"indicateur": "besoin", "detail": "ifn", "lieux": "1"})
    at.run()
    assert not at.exception, at.exception
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["title"]["text"] == "Indice de fragilité numérique (total), par commune"
    assert "plus haut = plus fragile" in figure["layout"]["legend"]["title"]["text"]
    places = [t for t in figure["data"] if t.get("name", "").startswith("Lieu ")]
    # The shipped places, all with coordinates (Plotly sends arrays as typed binary data).
    assert sum(_length(t["x"]) for t in places) == 70
    names = [a for a in figure["layout"]["annotations"] if a.get("name") == map_labels.LABEL_NAME]
    assert len(names) == 39
    captions = " ".join(c.value for c in at.caption)
    assert "La MedNum – Indice de fragilité numérique, 2021-2023" in captions
    assert "Contours : IGN – ADMIN EXPRESS, Licence Ouverte" in captions
    assert "70 lieux de médiation numérique" in captions
    table = at.dataframe[0].value
    assert "Indice de fragilité numérique (total)" in table.columns
    assert not table.isin(["< 5", "secret"]).any().any()
    # No « pour 1 000 habitants » for a score: the normalisation is a sentence, not a choice.
    assert not [r for r in at.radio if r.label == "Normalisation"]
    assert np.isclose(
        table["Indice de fragilité numérique (total)"].astype(float).max(), 5.9, atol=0.05
    )
