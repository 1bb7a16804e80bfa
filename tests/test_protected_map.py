"""The map, « Aide et besoins » and their exports read a lecteur's counts of people from the
protected tables only (observatoire/protected.py): every figure equals its protected figure
(value or label), so the attacks of subtraction fail — an EPT minus its other communes, two
communes minus one, two date windows, a table not masked; an interne sees exact counts."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pandas as pd
import pytest

from observatoire import disclosure, exports, protected, warehouse
from observatoire import need as need_view
from observatoire.filters import Filters
from observatoire.map import choices as map_choices
from observatoire.map import reading as map_reading
from tests.small_counts import COUBRON, MONTREUIL, SECRETS, internal

EST_ENSEMBLE, GRAND_EST = "200057875", "200058790"
PEOPLE = [("personnes", None), ("quantite", None), ("quantite", "ordinateur")]


def _view(filters=None, level="commune", indicator="personnes", key=None, norm="brut"):
    filters = filters or Filters()
    choices = map_choices.MapChoices(level=level, indicator=indicator, key=key, norm=norm)
    values = protected.map_values(filters, level, indicator, key)
    return map_choices.prepare(values, choices.checked())


def _expected(filters, level, indicator, key) -> dict:
    """code → (value, status) of the protected tables for a lecteur."""
    measure = protected.cube_measure(indicator, key)
    figures = protected.protected_counts(filters, measure, level).table
    return {
        row.territory_code: (None if pd.isna(row.value) else int(row.value), row.status)
        for row in figures.itertuples()
    }


def _shown(view) -> dict:
    """code → the figure the map's table shows (a number, a label, or None: no data)."""
    table = map_reading.display_table(view)
    column = map_reading.value_header(view)
    values = [None if pd.isna(v) else v for v in table[column]]
    return dict(zip(view.table["code"], values, strict=True))


def _same(shown: dict, expected: dict) -> None:
    """Each shown figure is its protected figure: the published value (None: « pas de
    données », a published 0), « < 5 » only for a small count, « secret » for any other."""
    for code, value in shown.items():
        number, status = expected.get(code, (0, "publie"))
        if status == "publie":
            assert value == number or (value is None and number == 0), code
        elif status == "primaire":
            assert value in ("< 5", "secret"), code
        else:
            assert value == "secret", code


@pytest.mark.parametrize("level", ["commune", "ept"])
@pytest.mark.parametrize(("indicator", "key"), PEOPLE)
def test_every_map_figure_is_its_protected_figure(small_db, level, indicator, key):
    view = _view(level=level, indicator=indicator, key=key)
    assert view.counts == "protected"
    _same(_shown(view), _expected(Filters(), level, indicator, key))


def test_an_ept_shows_its_own_protected_cell_not_a_sum_of_communes(small_db):
    """The issue: Grand Paris Grand Est minus its other communes gave Coubron's hidden 3."""
    view = _view(level="ept")
    shown = _shown(view)
    assert shown[GRAND_EST] == "< 5"  # the EPT cell itself: Coubron's 3 alone
    assert shown[EST_ENSEMBLE] == 160  # published: Montreuil 120 + Bobigny 40
    communes = _shown(_view())
    assert communes[MONTREUIL] == "secret"  # so Est Ensemble minus Montreuil tells nothing
    for secret in SECRETS.values():
        assert secret not in shown.values() and secret not in communes.values()


def test_two_communes_minus_one_tells_nothing(small_db):
    """Coubron and a commune without records of its EPT, by EPT: a masked sum."""
    others = warehouse.territories()
    neighbour = others[(others["ept_code"] == GRAND_EST) & (others["code"] != COUBRON)].iloc[0][
        "code"
    ]
    both = _shown(_view(Filters(communes=(COUBRON, neighbour)), level="ept"))
    alone = _shown(_view(Filters(communes=(neighbour,)), level="ept"))
    assert both[GRAND_EST] == "secret"  # a sum that includes a hidden cell
    assert alone[GRAND_EST] is None  # 0: no difference reveals Coubron


def test_two_date_windows_read_whole_months(small_db):
    """Any two windows inside January 2021 read the same whole month: no difference."""
    early = Filters(date_from=date(2021, 1, 1), date_to=date(2021, 1, 10))
    late = Filters(date_from=date(2021, 1, 1), date_to=date(2021, 1, 11))
    assert _shown(_view(early)) == _shown(_view(late))
    values = protected.map_values(early, "commune", "personnes")
    note = protected.months_note(early, values.attrs["months"])
    assert note == (
        "Pour protéger les petits effectifs, les chiffres de personnes portent sur les mois "
        "entiers : du 01/01/2021 au 31/01/2021."
    )
    whole = Filters(date_from=date(2021, 1, 1), date_to=date(2021, 1, 31))
    assert protected.months_note(whole, (whole.date_from, whole.date_to)) is None


def test_derived_figures_of_a_hidden_count_are_masked(small_db):
    view = _view(norm="habitants")
    table = map_reading.display_table(view).set_index("Commune")
    assert table.loc["Coubron", "Pour 1 000 habitants"] == disclosure.DERIVED_LABEL
    assert table.loc["Montreuil", "Pour 1 000 habitants"] == disclosure.DERIVED_LABEL
    assert any("mois entiers" not in n and "« secret »" in n for n in map_reading.notes(view, {}))


def test_money_stays_exact(small_db):
    view = _view(indicator="euros")
    assert view.counts is None and not view.masked.any()
    assert view.table.set_index("code").loc[COUBRON, "value"] == 900


def test_an_interne_sees_exact_counts(small_db, monkeypatch):
    internal(monkeypatch)
    view = _view()
    assert view.counts is None and not view.masked.any()
    assert _shown(view)[COUBRON] == 3
    assert _shown(_view(level="ept"))[GRAND_EST] == 3


def test_target_progress_reads_the_protected_target_cells(small_db):
    progress = warehouse.target_territory_progress(Filters(), "commune")
    options = map_choices.target_options(progress)
    key = next(k for k, label in options.items() if "PC portables" in label)
    family = progress[progress.apply(map_choices.target_key, axis=1) == key].iloc[0]
    records = protected.map_values(Filters(), "commune", "quantite")
    values = protected.target_values(
        map_choices.progress_values(progress, key, records), family, Filters(), "commune"
    )
    view = map_choices.prepare(
        values,
        map_choices.MapChoices(indicator="objectif", key=key).checked(),
        target_unit="personnes équipées",
        target_indicator="quantite",
    )
    assert view.counts == "protected"
    table = map_reading.display_table(view).set_index("Commune")
    assert table.loc["Coubron", "Avancement (%)"] == disclosure.DERIVED_LABEL
    assert table.loc["Coubron", "Personnes équipées"] == "< 5"
    assert table.loc["Montreuil", "Personnes équipées"] == "secret"


# Aide et besoins --------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["commune", "ept"])
def test_need_table_shows_the_protected_figures(small_db, level):
    help_values = protected.map_values(Filters(), level, "personnes")
    need = warehouse.need_by_territory(level, "ifn")
    table = need_view.scatter_table(help_values, need, people=True)
    view = need_view.analyse(
        table, level=level, direction="fragile_haut", need_label="IFN", help_label="Aide"
    )
    shown = need_view.display_table(view)
    assert shown.attrs[disclosure.COUNTS] == "protected"
    values = [None if pd.isna(v) else v for v in shown["Aide (nombre)"]]
    _same(
        dict(zip(table["code"], values, strict=True)),
        _expected(Filters(), level, "personnes", None),
    )
    exports.to_csv(shown)  # accepted: protected figures


# Exports and the press kit ----------------------------------------------------------------


def test_exports_take_protected_tables_and_refuse_exact_ones(small_db):
    table = map_reading.display_table(_view())
    assert table.attrs[disclosure.COUNTS] == "protected"
    text = exports.to_csv(table).decode("utf-8-sig")
    assert "Coubron;Grand Paris Grand Est;< 5" in text
    exact = disclosure.mark(warehouse.map_values(Filters(), "commune", "personnes"), "exact")
    assert not exports.exportable(exact)
    kit = [exports.KitFigure("carte", lambda: None, exact)]
    with pytest.raises(disclosure.UnprotectedExport):  # refused before anything is drawn
        exports.press_kit(kit, caption="", alt_text="", link="")


def _page(app, path, **query):
    at = app.run()
    at.switch_page(path)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def small_app(app, small_db):
    return app


def test_map_page_by_ept_shows_protected_cells(small_app):
    at = _page(small_app, "views/map.py", niveau="ept")
    kit = at.session_state["_press_kit_figures"]
    table = kit[0][0].data.set_index("EPT")  # what the table shows and every export holds
    assert table.loc["Grand Paris Grand Est", "Personnes touchées"] == "< 5"
    assert table.loc["Est Ensemble", "Personnes touchées"] == 160
    figure = json.dumps([json.loads(c.proto.spec) for c in at.get("plotly_chart")])
    for secret in SECRETS.values():
        assert f"{secret} personnes" not in figure
    assert kit and all(exports.exportable(entry[0].data) for entry in kit)
    assert all(entry[0].data.attrs[disclosure.COUNTS] == "protected" for entry in kit)


def test_map_page_says_when_dates_are_widened(small_app):
    small_app.query_params.update({"du": "2021-01-05", "au": "2021-01-20"})
    at = _page(small_app, "views/map.py", du="2021-01-05", au="2021-01-20")
    assert any("portent sur les mois entiers" in c.value for c in at.caption)


def test_need_page_by_ept_shows_protected_cells(small_app):
    at = _page(small_app, "views/need.py", niveau="ept")
    kit = at.session_state["_press_kit_figures"]
    table = kit[0][0].data.set_index("Territoire")
    assert table.loc["Grand Paris Grand Est", "Aide (nombre)"] == "< 5"
    assert all(entry[0].data.attrs[disclosure.COUNTS] == "protected" for entry in kit)


def test_press_kit_zip_holds_only_protected_data(small_db, chromium):
    view = _view(level="ept")
    table = map_reading.display_table(view)
    import plotly.graph_objects as go

    kit = exports.press_kit(
        [exports.KitFigure("carte", lambda: go.Figure(), table)],
        caption="c",
        alt_text="a",
        link="l",
    )
    archive = zipfile.ZipFile(io.BytesIO(kit))
    csv = archive.read("carte.csv").decode("utf-8-sig")
    assert "Grand Paris Grand Est;< 5" in csv


def test_demonstration_map_by_ept_cannot_be_undone_by_its_communes(demo_db, use_db):
    """The issue on the demonstration warehouse: /carte?niveau=ept showed Grand Paris Grand
    Est's total; minus its other communes, it gave Coubron's hidden count. Now every figure
    is its protected cell, and no published EPT has exactly one hidden commune."""
    use_db(demo_db)
    for indicator, key in PEOPLE:
        by_ept = _view(level="ept", indicator=indicator, key=key)
        by_commune = _view(indicator=indicator, key=key)
        _same(_shown(by_ept), _expected(Filters(), "ept", indicator, key))
        _same(_shown(by_commune), _expected(Filters(), "commune", indicator, key))
        communes = by_commune.table
        for ept, value in _shown(by_ept).items():
            if isinstance(value, str):
                continue
            hidden = communes[(communes["ept_code"] == ept) & communes["masked"]]
            assert len(hidden) != 1, (indicator, key, ept)


def test_need_page_says_when_dates_are_widened(small_app):
    small_app.query_params.update({"du": "2021-01-05", "au": "2021-01-20"})
    at = _page(small_app, "views/need.py", du="2021-01-05", au="2021-01-20")
    assert any("portent sur les mois entiers" in c.value for c in at.caption)
    assert any("Petits effectifs masqués" in c.value for c in at.caption)
