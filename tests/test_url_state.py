"""The URL-state mechanism (observatoire/url_state.py) on its own, then its glue
(webapp/url_state.py) on the pages: old links keep working and are rewritten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from observatoire.filters import FIRST_DATE, WHOLE_DEPARTEMENT, Filters
from observatoire.map.choices import MapChoices
from observatoire.need import NeedChoices
from observatoire.url_state import (
    FLAG,
    INTEGER,
    LEVELS,
    TEXT_LIST,
    FundingChoices,
    SheetChoice,
    TargetChoices,
    UrlState,
    level_param,
    param,
)


@dataclass(frozen=True)
class Sample(UrlState):
    level: str = level_param("s_level")
    count: int = param("nombre", 3, kind=INTEGER, widget="s_count", clamp=lambda n: min(n, 10))
    flag: bool = param("drapeau", False, kind=FLAG, aliases=("ancien",), widget="s_flag")
    tags: tuple[str, ...] = param("tags", (), kind=TEXT_LIST, widget="s_tags")
    note: str = param("note", "", omit=lambda s: "vide" if s.count == 3 else "")


def test_round_trip_leaves_defaults_out():
    sample = Sample(level="ept", count=5, flag=True, tags=("a", "b"), note="x")
    query = sample.to_query()
    assert query == {"niveau": "ept", "nombre": "5", "drapeau": "1", "tags": "a,b", "note": "x"}
    assert Sample.from_query(query) == sample
    assert Sample().to_query() == {}
    assert Sample(note="vide").to_query() == {}  # OMIT may depend on the other fields
    assert Sample(count=4, note="vide").to_query() == {"nombre": "4", "note": "vide"}


def test_aliases_and_label_spellings_are_read():
    assert Sample.from_query({"echelon": "Communes"}).level == "commune"
    assert Sample.from_query({"niveau": "EPT"}).level == "ept"
    assert Sample.from_query({"echelon": "ept", "niveau": "commune"}).level == "commune"
    assert Sample.from_query({"ancien": "true"}).flag
    assert "echelon" in Sample.url_keys() and "ancien" in Sample.url_keys()


@pytest.mark.parametrize(
    "query",
    [
        {"niveau": "region"},
        {"nombre": "beaucoup"},
        {"drapeau": "peut-être"},
        {"niveau": ""},
        {"inconnu": "1"},
    ],
)
def test_bad_values_are_ignored(query):
    assert Sample.from_query(query) == Sample()


def test_readable_values_out_of_range_are_clamped():
    assert Sample.from_query({"nombre": "99"}).count == 10
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    filters = Filters.from_query({"du": "1990-01-01", "au": tomorrow})
    assert (filters.date_from, filters.date_to) == (FIRST_DATE, date.today())


def test_widgets_round_trip():
    sample = Sample(level="ept", count=7, flag=True, tags=("a",))
    state = sample.widget_state()
    assert state == {"s_level": "ept", "s_count": 7, "s_flag": True, "s_tags": ["a"]}
    assert Sample.from_widgets(state) == sample


def test_filters_keep_their_keys_and_widgets():
    filters = Filters(
        ept="200057875",
        communes=("93048",),
        programmes=("a", "b"),
        date_from=date(2021, 1, 1),
        include_demo=False,
    )
    query = filters.to_query()
    assert query == {
        "ept": "200057875",
        "commune": "93048",
        "programme": "a,b",
        "du": "2021-01-01",
        "demo": "0",
    }
    assert Filters.from_query(query) == filters
    assert Filters().to_query() == {}
    assert Filters().widget_state()["f_ept"] == WHOLE_DEPARTEMENT
    assert Filters.from_widgets(filters.widget_state()) == filters
    assert Filters.from_query({"du": "pas-une-date", "demo": "x"}) == Filters()


def test_one_level_key_and_one_levels_table():
    from observatoire import need
    from observatoire.map import choices

    assert choices.LEVELS is LEVELS and need.LEVELS is LEVELS
    for state in (MapChoices(level="ept"), NeedChoices(level="ept"), FundingChoices("commune")):
        assert state.to_query() == {"niveau": state.level}
    assert TargetChoices(level="commune").to_query() == {"niveau": "commune"}
    assert TargetChoices.from_query({"echelon": "Communes"}).level == "commune"
    assert FundingChoices.from_query({"niveau": "Communes", "repartir": "true"}) == (
        FundingChoices("commune", True)
    )
    assert SheetChoice(code="93048").to_query() == {"code": "93048"}


# The glue on the pages ---------------------------------------------------------------------


def test_objectifs_old_link_is_rewritten_to_niveau(app):
    app.query_params["echelon"] = "Communes"
    at = app.run()
    at.switch_page("views/targets.py").run()
    assert not at.exception
    assert at.segmented_control(key="echelon").value == "commune"
    assert at.query_params["niveau"] == "commune" and "echelon" not in at.query_params


def test_objectifs_target_named_in_the_link(app):
    from observatoire import warehouse
    from observatoire.charts import targets as charts

    progress = warehouse.target_progress(Filters())
    second = charts.target_title(next(progress.iloc[1:].itertuples()))
    app.query_params["objectif"] = second
    app.query_params["reparti"] = "inconnu"
    at = app.run()
    at.switch_page("views/targets.py").run()
    assert not at.exception
    assert at.selectbox(key="objectif").value == progress["target_row"].iloc[1]
    assert at.query_params["objectif"] == second
    # An unknown target falls back to the first, the default, left out of the link.
    assert at.selectbox(key="reparti").index == 0 and "reparti" not in at.query_params


def test_funding_old_link_with_a_label(app):
    app.query_params["niveau"] = "Communes"
    app.query_params["repartir"] = "true"
    at = app.run()
    at.switch_page("views/funding.py").run()
    assert not at.exception
    assert at.segmented_control(key="niveau").value == "commune"
    assert at.toggle(key="repartir").value
    assert at.query_params["niveau"] == "commune" and at.query_params["repartir"] == "1"


def test_dates_out_of_range_do_not_break_the_page(app):
    app.query_params["du"] = "1990-01-01"
    app.query_params["au"] = "2999-12-31"
    at = app.run()
    assert not at.exception
    assert at.date_input(key="f_du").value == FIRST_DATE
    assert at.query_params["du"] == FIRST_DATE.isoformat()
    assert at.query_params["au"] == date.today().isoformat()


def test_sheet_choice_keeps_only_known_territories():
    assert SheetChoice.from_query({"code": "93048"}, {"93048"}).code == "93048"
    assert SheetChoice.from_query({"code": "<script>"}, {"93048"}).code is None


def test_pages_that_forget_show_their_defaults_when_opened_again(app):
    at = app.run()
    at.switch_page("views/funding.py").run()
    at.toggle(key="repartir").set_value(True).run()
    assert at.query_params["repartir"] == "1"
    at.switch_page("views/overview.py").run()
    at.query_params.clear()
    at.switch_page("views/funding.py").run()
    assert not at.exception
    assert not at.toggle(key="repartir").value and "repartir" not in at.query_params
