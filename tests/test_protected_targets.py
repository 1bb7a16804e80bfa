"""« Objectifs » for a lecteur: every achieved count of people (and its progress, what
remains, the monthly pace and the status) comes from the protected cells (cible:<family>),
so that the attacks of the issue fail — a commune breakdown masked cell by cell, the
département minus the other communes, two communes minus one, two date windows — and an
interne still sees the exact counts (tiny warehouse of tests/small_counts.py)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from observatoire import disclosure, exports, protected, warehouse
from observatoire.charts import masked as masked_charts
from observatoire.charts import targets as charts
from observatoire.filters import Filters
from tests.small_counts import COUBRON, DUGNY, MONTREUIL, SECRETS, internal
from webapp import ui

PC = "Personnes éloignées du numérique équipées en PC portables reconditionnés"
RSA = "Allocataires du RSA accompagnés aux compétences numériques de base (jusqu'à)"
DERIVED = ["progress", "remaining", "monthly_pace"]


def _expected(filters: Filters, measure: str, level: str = "departement") -> pd.DataFrame:
    return protected.protected_counts(filters, measure, level).table.set_index("territory_code")


def _check_rows(rows: pd.DataFrame, expected_of) -> None:
    """Each quantity row shows its protected cell: its value, or nothing but its label and
    « masqué » for everything derived from it."""
    people = rows[rows["indicator"] == "quantite"]
    assert len(people) and people["measure"].notna().all()
    for row in people.itertuples():
        value, status = expected_of(row)
        if status == "publie":
            assert row.achieved == value and pd.isna(row.achieved_text)
            assert row.status != protected.HIDDEN_STATUS
        else:
            assert pd.isna(row.achieved) and row.achieved_text in ("< 5", "secret")
            assert row.status == protected.HIDDEN_STATUS and pd.isna(row.status_rank)
            assert all(pd.isna(getattr(row, c)) for c in DERIVED)


def test_targets_for_a_lecteur_are_the_protected_cells(small_db):
    for filters in (Filters(), Filters(communes=(COUBRON,)), Filters(communes=(COUBRON, DUGNY))):
        rows = protected.target_rows(filters)
        assert rows.attrs["counts"] == "protected"

        def cell(row, filters=filters):
            scope = filters if filters.has_territory else filters.with_(ept=None, communes=())
            if row.scope == "commune":
                scope = filters.with_(communes=(row.scope_code,))
            found = _expected(scope, row.measure).iloc[0]
            return (None if pd.isna(found["value"]) else found["value"]), found["status"]

        _check_rows(rows, cell)
    # The département's « Réalisé » of the family of Coubron's 3 is hidden: the département
    # minus the other communes tells nothing.
    rows = protected.target_rows(Filters()).set_index("label")
    assert pd.isna(rows.loc[PC, "achieved"]) and rows.loc[PC, "status"] == "masqué"
    # Money and posts are not counts of people: exact.
    assert rows.loc["Aide exceptionnelle versée à Emmaüs Connect", "achieved"] == 900


@pytest.mark.parametrize("level", ["commune", "ept"])
def test_breakdown_shows_no_cell_masked_on_its_own(small_db, level):
    rows = protected.target_territory_progress(Filters(), level)
    assert rows.attrs["counts"] == "protected"
    cells = {m: _expected(Filters(), m, level) for m in rows["measure"].dropna().unique()}

    def cell(row):
        table = cells[row.measure]
        if row.territory_code not in table.index:
            return 0, "publie"
        found = table.loc[row.territory_code]
        return (None if pd.isna(found["value"]) else found["value"]), found["status"]

    _check_rows(rows, cell)
    if level == "commune":
        shown = rows[rows["indicator"] == "quantite"]
        # Coubron's 3 and Dugny's 7 are never shown, nor their progress or status.
        assert not shown["achieved"].isin(SECRETS.values()).any()
        for code in SECRETS:
            mine = shown[(shown["territory_code"] == code) & shown["achieved_text"].notna()]
            assert len(mine) >= 1 and set(mine["status"]) == {"masqué"}


def test_two_communes_minus_one_and_two_date_windows(small_db):
    def achieved(filters):
        rows = protected.target_rows(filters).set_index("label")
        return rows.loc[PC, "achieved"], rows.loc[PC, "achieved_text"]

    both = achieved(Filters(communes=(COUBRON, MONTREUIL)))
    alone = achieved(Filters(communes=(MONTREUIL,)))
    assert pd.isna(both[0]) and both[1] == "secret"
    assert pd.isna(alone[0]) or alone[0] != 3 + (both[0] if not pd.isna(both[0]) else 0)
    # Two windows within one month read the same whole month: no difference between them.
    early = Filters(date_from=date(2021, 1, 1), date_to=date(2021, 1, 10))
    late = Filters(date_from=date(2021, 1, 1), date_to=date(2021, 1, 31))
    a, b = protected.target_rows(early), protected.target_rows(late)
    pd.testing.assert_series_equal(a["achieved"], b["achieved"])
    assert protected.dates_note(early) == (
        "Pour protéger les petits effectifs, les chiffres de personnes portent sur les mois "
        "entiers : du 01/01/2021 au 31/01/2021."
    )
    assert protected.dates_note(late) is None


def test_exports_and_trajectory_hold_labels_only(small_db):
    rows = protected.target_rows(Filters())
    figure, exported, reading = masked_charts.masked_progress_chart(rows)
    table, _ = charts.progress_table(exported, False)
    masked = table[table["Objectif annoncé"] == PC].iloc[0]
    assert masked["Réalisé"] == "secret" and masked["Avancement"] == "masqué"
    assert masked["Statut"] == "masqué" and masked["Reste à faire"] == "masqué"
    csv = exports.to_csv(disclosure.mark(exported, "protected")).decode("utf-8-sig")
    assert ";3;" not in csv and ";7;" not in csv
    hover = json.dumps([list(map(str, c)) for c in figure.data[0].customdata])
    assert '"3"' not in hover and '"7"' not in hover
    assert ("Statut masqué", "4", charts.HIDDEN_HELP) in charts.status_counts(rows)
    row = protected.target_trajectory(Filters(), next(rows[rows["label"] == PC].itertuples()))
    _, monthly = masked_charts.mask_trajectory(row)
    assert not monthly.iloc[:, 1].isin([3, 7, 3 + 7]).any()
    assert "masqué" in masked_charts.trajectory_reading(row)


def test_an_interne_sees_exact_counts(small_db, monkeypatch):
    internal(monkeypatch)
    rows = protected.target_territory_progress(Filters(), "commune")
    assert rows.attrs["counts"] == "exact" and "achieved_text" not in rows
    coubron = rows[(rows["territory_code"] == COUBRON) & (rows["label"] == PC)]
    assert list(coubron["achieved"]) == [3]
    progress = protected.target_rows(Filters()).set_index("label")
    assert progress.loc[RSA, "achieved"] == 7
    assert protected.dates_note(Filters(date_from=date(2021, 1, 5))) is None
    assert len(warehouse.target_progress(Filters())) == len(progress)


# The page ----------------------------------------------------------------------------------


@pytest.fixture
def small_app(app, small_db):
    return app


def test_targets_page_of_a_lecteur(small_app):
    at = small_app.run()
    at.switch_page("views/targets.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Statut masqué"] == "4"
    table = at.dataframe[0].value.set_index("Objectif annoncé")
    # A label reaches the browser as a sentinel shown as its text, never the number.
    assert table.loc[PC, "Réalisé"] <= ui.STAND_IN and table.loc[PC, "Avancement"] <= ui.STAND_IN
    assert table.loc[PC, "Statut"] == "masqué"
    at.segmented_control(key="echelon").set_value("commune").run()
    assert not at.exception
    for frame in at.dataframe:
        values = frame.value
        if "Réalisé" in values:
            assert not values["Réalisé"].isin(list(SECRETS.values())).any()
