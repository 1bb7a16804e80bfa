"""Map queries and map logic against the hand-computed tiny warehouse of test_queries."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from observatoire import warehouse
from observatoire.filters import Filters
from observatoire.map import choices as map_choices
from observatoire.map import figure as map_figure
from observatoire.map import reading as map_reading
from observatoire.map import shapes as map_shapes
from tests.test_queries import tiny_db  # noqa: F401  (fixture)

MONTREUIL, BOBIGNY, AUBERVILLIERS, LA_COURNEUVE = "93048", "93008", "93001", "93027"
EST_ENSEMBLE, PLAINE_COMMUNE = "200057875", "200057867"


def _values(level="commune", measure="personnes", key=None, filters=None) -> dict:
    frame = warehouse.map_values(filters or Filters(), level, measure, key)
    return dict(zip(frame["code"], frame["value"], strict=True))


def _known(values: dict) -> dict:
    return {c: v for c, v in values.items() if not math.isnan(v)}


def test_people_and_quantities_per_commune(tiny_db):  # noqa: F811
    people = _values()
    assert len(people) == 39
    # Recharges count no person; communes without any record have no data (not zero).
    assert _known(people) == {MONTREUIL: 10, BOBIGNY: 4, AUBERVILLIERS: 100}
    computers = _values(measure="quantite", key="ordinateur")
    # Bobigny and Aubervilliers have records, none of computers: zero, not « no data ».
    assert _known(computers) == {MONTREUIL: 10, BOBIGNY: 0, AUBERVILLIERS: 0}
    equipment = _values(measure="quantite")
    assert _known(equipment) == {MONTREUIL: 15, BOBIGNY: 0, AUBERVILLIERS: 100}
    real_only = _values(measure="quantite", filters=Filters(include_demo=False))
    assert real_only[MONTREUIL] == 10


def test_money_is_mapped_where_it_was_given(tiny_db):  # noqa: F811
    # Commune level: Montreuil's 300 €; the EPT's 50 € and the département's 1 000 € are not.
    assert _known(_values(measure="euros")) == {MONTREUIL: 300}
    by_ept = _values(level="ept", measure="euros")
    assert by_ept[EST_ENSEMBLE] == 350 and math.isnan(by_ept[PLAINE_COMMUNE])
    assert _known(_values(level="ept", measure="euros", key="État")) == {EST_ENSEMBLE: 300}
    funders = warehouse.map_funders(Filters())
    assert set(funders["funder"]) == {"État", "EPT Est Ensemble"}


def test_ept_level_and_territory_filter(tiny_db):  # noqa: F811
    frame = warehouse.map_values(Filters(), "ept", "personnes")
    assert len(frame) == 4
    row = frame[frame["code"] == EST_ENSEMBLE].iloc[0]
    assert row["value"] == 14 and row["population"] == 447_969 and row["has_demo"]
    only = warehouse.map_values(Filters(ept=EST_ENSEMBLE), "commune", "postes")
    assert len(only) == 9 and _known(dict(zip(only["code"], only["value"], strict=True))) == {
        BOBIGNY: 1
    }


def test_per_thousand_inhabitants():
    values = pd.DataFrame({"value": [10.0, math.nan], "population": [111_934, 56_927]})
    shown = map_choices.normalise(values, "habitants")["shown"]
    assert shown.iloc[0] == pytest.approx(10_000 / 111_934) and math.isnan(shown.iloc[1])


def test_progress_uses_the_territorial_share_rule(tiny_db):  # noqa: F811
    progress = warehouse.target_territory_progress(Filters(), "commune")
    options = map_choices.target_options(progress)
    key = next(k for k, label in options.items() if "PC portables" in label)
    records = warehouse.map_values(Filters(), "commune", "quantite")
    view = map_choices.prepare(
        map_choices.progress_values(progress, key, records),
        map_choices.MapChoices(indicator="objectif", key=key).checked(),
        target_unit="personnes équipées",
    )
    table = view.table.set_index("code")
    share = 1100 * 111_934 / 1_704_316  # département-wide target, pro rata of population
    assert table.loc[MONTREUIL, "target_share"] == pytest.approx(share)
    assert table.loc[MONTREUIL, "shown"] == pytest.approx(10 / share)
    assert table.loc[MONTREUIL, "share_rule"] == "prorata de la population"
    assert table.loc[BOBIGNY, "shown"] == 0  # records, but no computers: 0 %
    assert math.isnan(table.loc[LA_COURNEUVE, "shown"])  # no record at all: pas de données
    assert view.classes.missing == 36
    assert map_reading.main_reading(view).startswith(
        f"Montreuil : 10 personnes équipées, {round(1000 / share)}\u00a0% de sa part"
    )


def test_explicit_commune_target_wins(tiny_db):  # noqa: F811
    progress = warehouse.target_territory_progress(Filters(), "commune")
    dsil = progress[(progress["programme_id"] == "la-courneuve-dsil")]
    assert set(dsil["territory_code"]) == {LA_COURNEUVE}
    assert set(dsil["share_rule"]) == {"objectif explicite"}
    assert set(dsil.loc[dsil["indicator"] == "quantite", "target_share"]) == {3500}


def test_choices_round_trip_and_lenient_parsing():
    choices = map_choices.MapChoices("ept", "quantite", "ordinateur", "habitants", "jenks", 4)
    query = choices.to_query()
    assert query == {
        "niveau": "ept",
        "indicateur": "quantite",
        "detail": "ordinateur",
        "normalisation": "habitants",
        "classement": "jenks",
        "classes": "4",
    }
    assert map_choices.MapChoices.from_query(query) == choices
    assert map_choices.MapChoices().to_query() == {}
    odd = map_choices.MapChoices.from_query(
        {"niveau": "region", "indicateur": "postes", "normalisation": "objectif", "classes": "x"}
    )
    assert odd == map_choices.MapChoices(indicator="postes").checked()
    assert (odd.norm, odd.method) == ("brut", "quantiles")  # the indicator's defaults
    progress = map_choices.MapChoices.from_query({"indicateur": "objectif"})
    assert progress.norm == "objectif"
    assert map_choices.MapChoices.from_widgets(choices.widget_state()) == choices


def test_reading_sentence_and_table_name_no_data_apart(monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_INTERNAL_MODE", "1")  # exact values: no masking here
    values = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "name": ["Montreuil", "Bobigny", "Coubron"],
            "ept_code": ["e", "e", "f"],
            "ept_name": ["Est Ensemble", "Est Ensemble", "Grand Paris Grand Est"],
            "population": [111_934, 56_927, 5_175],
            "value": [1240.0, 3.0, math.nan],
            "has_demo": [False] * 3,
        }
    )
    choices = map_choices.MapChoices(indicator="quantite", key="ordinateur", classes=2).checked()
    view = map_choices.prepare(values, choices)
    assert map_reading.main_reading(view) == (
        "Montreuil : 1\u00a0240 ordinateurs — la valeur la plus haute des 2 communes avec des "
        "données ; la plus basse : Bobigny (3 ordinateurs) ; 1 commune sans données."
    )
    table = map_reading.display_table(view)
    assert list(table["Classe"])[2] == "pas de données"
    assert math.isnan(table["Ordinateurs"].iloc[2])  # never written as zero


def test_tiles_cover_every_commune_once():
    tiles = map_shapes._tiles()
    reference = pd.read_csv(map_shapes.REFERENCE_DIR / "communes.csv", dtype=str)
    assert sorted(tiles["code"]) == sorted(reference["code_insee"])
    assert not tiles[["row", "col"]].duplicated().any()
    frame = reference.rename(columns={"code_insee": "code", "ept_siren": "ept_code"})
    outlines = map_shapes.tile_outlines(frame)
    # Each EPT's tiles form one block, as on the real map.
    assert {code: g.geom_type for code, g in outlines.items()} == dict.fromkeys(outlines, "Polygon")
    assert len(map_shapes.tile_shapes(frame, "ept")) == 4


def test_map_renders_offline_in_image_export(tiny_db, chromium):  # noqa: F811
    """kaleido draws the map with no network: the PNG has the classes' colours."""
    import io

    from PIL import Image

    from observatoire import exports

    choices = map_choices.MapChoices(indicator="personnes").checked()
    view = map_choices.prepare(warehouse.map_values(Filters(), "commune", "personnes"), choices)
    shapes, outlines, labels, schematic = map_shapes.shapes_for(
        warehouse.map_boundaries("commune"),
        warehouse.map_boundaries("ept"),
        view.table,
        "commune",
        warehouse.territories(),
    )
    assert not schematic and len(shapes) == 39 and len(outlines) == 4  # the committed contours
    figure = map_figure.territory_map(view, shapes, outlines, labels=labels, schematic=schematic)
    png = exports.render_image(figure, "png")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.resize((600, 400), Image.NEAREST)
    found = {f"#{r:02x}{g:02x}{b:02x}" for r, g, b in small.get_flattened_data()}
    rgb = {plotly_rgb_to_hex(c) for c in map_figure.class_colours(view.classes.count)}
    assert rgb & found, "no class colour in the exported image"
    assert "#d9d9d9" in found  # pas de données, hatched grey


def plotly_rgb_to_hex(colour: str) -> str:
    if colour.startswith("#"):
        return colour.lower()
    r, g, b = (int(float(v)) for v in colour[colour.index("(") + 1 : -1].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"
