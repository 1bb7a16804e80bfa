"""« Aide et besoins » and the sheet's « Besoins » (issue #13): the need queries against
hand-computed expectations from the shipped files, the medians and « communes
prioritaires » on a small hand-made table, masking, URL state, and the places' age."""

from __future__ import annotations

import csv
import json
from datetime import date

import pandas as pd
import pytest

from core.settings import REFERENCE_DIR
from observatoire import need, sheet, warehouse
from observatoire.charts import need as need_charts
from observatoire.filters import Filters
from tests.conftest import SHARED_REFERENCE
from tests.small_counts import COUBRON, DUGNY, MONTREUIL, SECRETS, internal

PIERREFITTE, SAINT_DENIS = "93059", "93066"
PLAINE_COMMUNE = "200057867"
IFN_COLUMNS = {
    "ifn": "total",
    "ifn_thd": "no_thd_coverage_rate",
    "ifn_4g": "no_4g_coverage_rate",
    "ifn_pauvrete": "poverty_rate",
    "ifn_65_ans": "older_65_rate",
    "ifn_peu_diplomes": "nscol15p_rate",
}


def _rows(path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _ifn_file() -> dict[str, dict]:
    """The IFN 2024 file as published: commune code → row."""
    return {r["code"]: r for r in _rows(SHARED_REFERENCE / "indicateurs" / "ifn-communes-93.csv")}


def _need(level: str, indicator: str | None = None) -> pd.DataFrame:
    return warehouse.need_by_territory(level, indicator)


# Queries against the shipped files, computed by hand ----------------------------------------


def test_pierrefitte_is_merged_into_saint_denis_weighted_by_2022_populations(empty_db, use_db):
    use_db(empty_db)
    ifn = _ifn_file()
    pop2022 = {
        r["code_insee_2024"]: int(r["population_municipale"])
        for r in _rows(REFERENCE_DIR / "communes-2024.csv")
    }
    p, s = pop2022[PIERREFITTE], pop2022[SAINT_DENIS]
    assert (p, s) == (33670, 115237)
    values = _need("commune").query("code == @SAINT_DENIS").set_index("indicator")
    assert set(values.index) == set(IFN_COLUMNS)
    for indicator, column in IFN_COLUMNS.items():
        expected = (float(ifn[PIERREFITTE][column]) * p + float(ifn[SAINT_DENIS][column]) * s) / (
            p + s
        )
        assert values.at[indicator, "value"] == pytest.approx(expected, rel=1e-12), indicator
        assert values.at[indicator, "merged_from"] == "93059 93066"
    # IFN total by hand: (5,732442… × 33 670 + 5,218461… × 115 237) / 148 907
    assert values.at["ifn", "value"] == pytest.approx(5.334679517, abs=1e-9)
    assert PIERREFITTE not in set(_need("commune")["code"])


def _by_hand_weighted(codes: list[str], indicator: str = "ifn") -> float:
    """Population-weighted mean of the communes' values (the warehouse's populations, as
    in data/reference/communes.csv), Saint-Denis taking its merged value."""
    population = {
        r["code_insee"]: int(r["population_municipale"])
        for r in _rows(REFERENCE_DIR / "communes.csv")
    }
    values = _need("commune", indicator).set_index("code")["value"]
    return sum(values[c] * population[c] for c in codes) / sum(population[c] for c in codes)


def test_ept_and_departement_are_population_weighted_means(empty_db, use_db):
    use_db(empty_db)
    communes = _rows(REFERENCE_DIR / "communes.csv")
    plaine = [r["code_insee"] for r in communes if r["ept_siren"] == PLAINE_COMMUNE]
    assert len(plaine) == 8 and SAINT_DENIS in plaine
    ept = _need("ept", "ifn").set_index("code")
    assert ept.at[PLAINE_COMMUNE, "value"] == pytest.approx(_by_hand_weighted(plaine))
    assert ept.at[PLAINE_COMMUNE, "communes"] == 8
    assert ept.at[PLAINE_COMMUNE, "population"] == sum(
        int(r["population_municipale"]) for r in communes if r["ept_siren"] == PLAINE_COMMUNE
    )
    # A hand check of the first digits, and that it is not the plain mean (4,99…).
    assert ept.at[PLAINE_COMMUNE, "value"] == pytest.approx(5.146397, abs=1e-6)
    dep = _need("departement").set_index("indicator")
    everyone = [r["code_insee"] for r in communes]
    for indicator in IFN_COLUMNS:
        assert dep.at[indicator, "value"] == pytest.approx(_by_hand_weighted(everyone, indicator))
    assert dep.at["ifn", "communes"] == 39
    assert dep.at["ifn", "value"] == pytest.approx(4.800824, abs=1e-6)


def test_the_catalogue_and_the_places_of_a_territory(empty_db, use_db):
    use_db(empty_db)
    catalogue = warehouse.need_indicators()
    assert list(catalogue["id"])[0] == "ifn"
    assert set(catalogue["id"]) == set(IFN_COLUMNS)
    assert set(catalogue["direction"]) == {"fragile_haut"}
    places = warehouse.territory_places(Filters(communes=(SAINT_DENIS,)))
    # The shipped files: 2 conseillers' places and 4 France services sites in Saint-Denis
    # and the former Pierrefitte.
    shipped = _rows(REFERENCE_DIR / "france-services-93.csv")
    assert len(places) == 6
    assert (places["programmes"] == "France Services").sum() == 4
    assert places["commune"].eq("Saint-Denis").all()
    assert len(shipped) == 26
    everything = warehouse.territory_places(Filters())
    assert len(everything) == 70
    ept = warehouse.territory_places(Filters(ept=PLAINE_COMMUNE))
    assert 6 < len(ept) < 70


# The pure computation on a small hand-made table -------------------------------------------


def _help(rows: list[tuple]) -> pd.DataFrame:
    """(code, name, ept_name, population, help count) → a map_values-like frame."""
    return pd.DataFrame(
        [
            {
                "code": code,
                "name": name,
                "ept_code": ept,
                "ept_name": ept,
                "population": population,
                "value": value,
                "records": 0 if value is None else 1,
                "has_demo": False,
            }
            for code, name, ept, population, value in rows
        ]
    )


HAND = _help(
    [
        # code, name, EPT, population, help → per 1 000: 10, 20, 5, 40, 2, 30
        ("a", "Alpha", "Est", 1000, 10),
        ("b", "Bravo", "Est", 2000, 40),
        ("c", "Charlie", "Ouest", 2000, 10),
        ("d", "Delta", "Ouest", 1000, 40),
        ("e", "Echo", "Nord", 5000, 10),
        ("f", "Foxtrot", "Nord", 1000, 30),
    ]
)
NEED = pd.DataFrame(
    {"code": list("abcdef"), "value": [6.0, 5.0, 7.0, 2.0, 8.0, 1.0]}  # median 5,5
)


def _analyse(help_values=HAND, need_values=NEED, direction="fragile_haut", people=False):
    table = need.scatter_table(help_values, need_values, people=people)
    return need.analyse(
        table, level="commune", direction=direction, need_label="Besoin", help_label="Aide"
    )


def test_medians_and_priority_communes_by_hand():
    view = _analyse()
    # help per 1 000: 10, 20, 5, 40, 2, 30 → median (10 + 20) / 2 = 15; need median 5,5
    assert view.help_median == 15
    assert view.need_median == 5.5
    # need > 5,5: Alpha (6), Charlie (7), Echo (8); help < 15: Alpha 10, Charlie 5, Echo 2
    assert set(view.priority["name"]) == {"Alpha", "Charlie", "Echo"}
    priority = need.priority_table(view)
    assert list(priority["Territoire"]) == ["Echo", "Charlie", "Alpha"]
    # The medians, the same on every row, are said once above the table, not in columns.
    assert not any("Médiane" in column for column in priority.columns)
    assert need.priority_rule(view) == (
        "Besoin supérieur à la médiane (5,5) et aide inférieure à la médiane "
        "(15,0 pour 1 000 habitants)."
    )
    assert need.main_reading(view) == (
        "3 communes sur 6 ont un besoin supérieur à la médiane et une aide inférieure à la "
        "médiane : Alpha, Charlie et Echo."
    )


def test_an_indicator_where_low_is_fragile_takes_the_other_side_of_its_median():
    view = _analyse(direction="fragile_bas")
    # need < 5,5: Bravo (5, help 20), Delta (2, 40), Foxtrot (1, 30): none below 15
    assert view.priority.empty
    assert need.main_reading(view).startswith(
        "Aucune commune sur 6 n'a un besoin inférieur à la médiane"
    )
    assert "une valeur basse signale une fragilité" in need.main_reading(view)
    lower = NEED.assign(value=[6.0, 5.0, 7.0, 2.0, 8.0, 1.0][::-1])  # f 6 … a 1
    view = _analyse(need_values=lower, direction="fragile_bas")
    # Alpha 1, Bravo 8, Charlie 2, Delta 7, Echo 5, Foxtrot 6 (median 5,5): below it Alpha,
    # Charlie and Echo, whose help (10, 5, 2) is below 15.
    assert set(view.priority["name"]) == {"Alpha", "Charlie", "Echo"}


def test_territories_without_help_or_need_are_not_placed_nor_in_the_medians():
    help_values = HAND.copy()
    help_values.loc[help_values["code"] == "f", "value"] = None  # no record: pas de données
    need_values = NEED[NEED["code"] != "e"]  # Echo has no need value
    view = _analyse(help_values, need_values)
    assert list(view.placed["name"]) == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert view.help_median == 15  # of 10, 20, 5, 40
    assert view.need_median == 5.5  # of 6, 5, 7, 2
    reading = need.main_reading(view)
    assert "2 communes sur 6" in reading
    assert "Non placés (2 sur 6, hors des médianes)" in reading
    assert "pas de données d'aide : Foxtrot" in reading
    assert "pas de valeur de besoin : Echo" in reading


def test_the_scatter_draws_placed_territories_with_their_names_and_both_medians():
    view = _analyse()
    figure = need_charts.need_scatter(view, "Titre")
    names = [name for trace in figure.data for name in trace.text]
    assert sorted(names) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]
    colours = {trace.name: trace.marker.color for trace in figure.data}
    assert len(set(colours.values())) == 3  # one Okabe–Ito colour per EPT
    assert [s.line.dash for s in figure.layout.shapes if s.type == "line"] == ["dash", "dash"]
    texts = [a.text for a in figure.layout.annotations]
    assert "Médiane du besoin : 5,5" in texts
    assert "Médiane de l'aide : 15,0" in texts


# Masking: exactly as on the map ------------------------------------------------------------


def test_masked_help_is_not_placed_nor_in_the_medians_nor_written(small_db):
    level, measure = "commune", "personnes"
    help_values = warehouse.map_values(Filters(), level, measure)
    table = need.scatter_table(help_values, _need(level, "ifn"), people=True)
    rows = table.set_index("code")
    assert rows.at[COUBRON, "status"] == need.MASKED and rows.at[DUGNY, "status"] == need.MASKED
    assert rows.loc[[COUBRON, DUGNY], ["help", "help_rate"]].isna().all().all()
    assert rows.at[COUBRON, "mask_text"] == "< 5" and rows.at[DUGNY, "mask_text"] == "secret"
    view = need.analyse(
        table, level=level, direction="fragile_haut", need_label="IFN", help_label="Aide"
    )
    assert MONTREUIL in set(view.placed["code"]) and COUBRON not in set(view.placed["code"])
    figure = need_charts.need_scatter(view, "Titre")
    drawn = [name for trace in figure.data for name in trace.text]
    assert "Coubron" not in drawn and "Dugny" not in drawn
    exported = need.display_table(view)
    shown_help = [v for v in exported["Aide (nombre)"] if not isinstance(v, str)]
    for code, secret in SECRETS.items():
        name = rows.at[code, "name"]
        line = exported[exported["Territoire"] == name].iloc[0]
        assert line["Aide (nombre)"] in ("< 5", "secret") and line["Sur le graphique"] != "oui"
        assert secret not in shown_help
        assert line["Aide pour 1 000 habitants"] == "masqué"
    assert "aide masquée : Coubron et Dugny" in need.main_reading(view)


def test_internal_mode_places_every_commune_with_help(small_db, monkeypatch):
    internal(monkeypatch)
    help_values = warehouse.map_values(Filters(), "commune", "personnes")
    table = need.scatter_table(help_values, _need("commune", "ifn"), people=True)
    assert table.set_index("code").at[COUBRON, "status"] == need.PLACED


# Choices in the URL ------------------------------------------------------------------------


def test_choices_round_trip_through_the_url_and_bad_values_fall_back():
    choices = need.NeedChoices(level="ept", measure="quantite", key="ordinateur", indicator="x")
    query = choices.to_query()
    assert query == {"niveau": "ept", "aide": "quantite", "detail": "ordinateur", "besoin": "x"}
    assert need.NeedChoices.from_query(query) == choices
    assert need.NeedChoices().to_query() == {}
    bad = need.NeedChoices.from_query({"niveau": "pays", "aide": "vent", "detail": "y"})
    assert bad == need.NeedChoices()
    assert need.NeedChoices(indicator="absent").checked(["ifn", "b"]).indicator == "ifn"
    assert need.NeedChoices(indicator="absent").checked(["b"]).indicator == "b"
    assert need.NeedChoices(measure="postes", key="z").checked().key is None


# The sheet ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "updated, state",
    [
        (date(2026, 6, 1), "à jour"),
        (date(2025, 12, 1), "à jour"),  # exactly 12 months
        (date(2025, 11, 30), "à vérifier"),
        (date(2025, 6, 1), "à vérifier"),  # exactly 18 months
        (date(2025, 5, 31), "à actualiser"),
        (date(2022, 11, 15), "à actualiser"),
        (None, "date inconnue"),
    ],
)
def test_a_place_is_to_check_after_12_months_and_to_update_after_18(updated, state):
    assert sheet.place_state(updated, date(2026, 12, 1)) == state


def test_sheet_needs_table_and_subscores(empty_db, use_db):
    use_db(empty_db)
    commune, ept, dep = (_need(level) for level in ("commune", "ept", "departement"))
    own = commune.query("code == @SAINT_DENIS")
    theirs = ept.query("code == @PLAINE_COMMUNE")
    table = sheet.needs_table(("Saint-Denis", own), ("EPT Plaine Commune", theirs), dep)
    row = table[table["Indicateur"].str.startswith("Indice")].iloc[0]
    assert row["Saint-Denis"] == pytest.approx(5.33, abs=0.005)
    assert row["EPT Plaine Commune"] == pytest.approx(5.15, abs=0.005)
    assert row["Seine-Saint-Denis"] == pytest.approx(4.80, abs=0.005)
    assert row["Année"] == "2021-2023" and row["Lecture"] == "plus haut = plus fragile"
    assert row["Source"].startswith("La MedNum")
    scores = sheet.subscores(own, theirs, dep)
    assert len(scores) == 5 and "ifn" not in set(scores["indicator"])
    figure = need_charts.subscore_bars(scores, "Sous-scores", "Saint-Denis")
    assert tuple(figure.layout.xaxis.range) == (0, 10)
    assert "10 (plus fragile)" in figure.layout.xaxis.title.text
    assert [t.name for t in figure.data] == ["Saint-Denis", "EPT", "Seine-Saint-Denis"]
    json.dumps(figure.to_plotly_json(), default=str)  # serialisable for the export


def test_places_summary_agrees_with_the_state_of_each_place(empty_db, use_db):
    use_db(empty_db)
    today = date(2023, 6, 1)
    for filters in (Filters(communes=(SAINT_DENIS,)), Filters(ept=PLAINE_COMMUNE), Filters()):
        places = warehouse.territory_places(filters)
        summary = warehouse.territory_places_summary(filters, *sheet.state_limits(today))
        states = sheet.places_table(places, today)["État"].value_counts()
        assert summary["places"] == len(places)
        assert summary["to_update"] == states.get("à actualiser", 0)
        assert summary["to_check"] == states.get("à vérifier", 0)
        assert summary["undated"] == states.get("date inconnue", 0)
    assert summary["to_check"] > 0 and summary["to_update"] > 0  # both occur in 2023
    shown = warehouse.territory_places(Filters(), limit=5)
    assert len(shown) == 5 and shown["date_maj"].is_monotonic_decreasing
    caption = sheet.places_caption(summary)
    assert caption.startswith("70 lieux, mis à jour du 01/01/2020 au 15/11/2022")
