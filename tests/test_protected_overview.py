"""Vue d'ensemble and Programmes for a lecteur: every count of people they show (key figures,
per 1 000 inhabitants, items and months charts and their exports, « Réalisé ») is the
protected figure (observatoire/protected.py), so the attacks of the issue fail: two communes
minus one, an EPT minus its other communes, two date windows, a table left unmasked. An
interne still sees exact counts. The warehouse is tests/small_counts.py."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from observatoire import disclosure, exports, fmt, protected
from observatoire.charts import masked as masked_charts
from observatoire.filters import Filters
from tests.conftest import ROOT
from tests.small_counts import COUBRON, MONTREUIL, SECRETS, internal

GRAND_PARIS_GRAND_EST = "200058790"  # Coubron's EPT
OTHERS_OF_THE_EPT = tuple(f"930{n}" for n in (14, 32, 33, 46, 47, 49, 50, 51, 57, 62, 64, 74, 77))
SSD_TARGET = "dont usagers du Service social départemental"  # Coubron 3 + Montreuil 120

ATTACKS = {
    "everything": Filters(),
    "two communes": Filters(communes=(COUBRON, MONTREUIL)),
    "minus one": Filters(communes=(MONTREUIL,)),
    "Coubron": Filters(communes=(COUBRON,)),
    "the EPT": Filters(ept=GRAND_PARIS_GRAND_EST),
    "its other communes": Filters(communes=tuple(OTHERS_OF_THE_EPT)),
    "one day": Filters(date_from=date(2021, 1, 10), date_to=date(2021, 1, 10)),
    "the other days": Filters(date_from=date(2021, 1, 11), date_to=date(2021, 1, 31)),
}


def _query(filters: Filters) -> dict[str, str]:
    query = {}
    if filters.ept:
        query["ept"] = filters.ept
    if filters.communes:
        query["commune"] = ",".join(filters.communes)
    if filters.programmes:
        query["programme"] = ",".join(filters.programmes)
    if filters.date_from:
        query["du"] = filters.date_from.isoformat()
    if filters.date_to:
        query["au"] = filters.date_to.isoformat()
    return query


def _open(small_app, page: str, filters: Filters):
    """PAGE in a new session arrived at with FILTERS in its address (read on arrival)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(_query(filters))
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _protected_text(filters: Filters, measure: str) -> str:
    cell = protected.protected_counts(filters, measure, "departement").table.iloc[0]
    return disclosure.status_text(cell["status"]) or fmt.number(cell["value"])


def _protected_value(filters: Filters, measure: str):
    cell = protected.protected_counts(filters, measure, "departement").table.iloc[0]
    return disclosure.status_text(cell["status"]) or cell["value"]


@pytest.fixture
def small_app(small_db):
    """The app on the tiny warehouse (each _open starts a new session on it)."""


@pytest.mark.parametrize("name", ATTACKS)
def test_key_figures_are_the_protected_figures(small_app, name):
    filters = ATTACKS[name]
    metrics = {m.label: m.value for m in _open(small_app, "views/overview.py", filters).metric}
    people = _protected_text(filters, "personnes")
    assert metrics["Personnes touchées"] == people
    assert metrics["Équipements distribués"] == _protected_text(filters, "equipements")
    if people in ("< 5", "secret", "masque"):
        assert metrics["Pour 1 000 habitants"] == disclosure.DERIVED_LABEL


def _number(text: str) -> float | None:
    try:
        return float(text.replace("\u00a0", "").replace(",", "."))
    except ValueError:
        return None


def test_no_difference_of_shown_figures_tells_a_small_count(small_db):
    """Across every selection of the attacks, no two figures of people differ by a secret."""
    shown = []
    for filters in ATTACKS.values():
        figures, _ = protected.key_figures(filters)
        for key in ("items_distributed", "people_reached"):
            shown.append(_number(protected.figure_text(figures, key, filters)))
    numbers = [n for n in shown if n is not None]
    differences = {abs(a - b) for a in numbers for b in numbers}
    assert not differences & set(SECRETS.values())


def test_date_windows_are_whole_months_and_say_so(small_app):
    one_day = _open(small_app, "views/overview.py", ATTACKS["one day"])
    other_days = _open(small_app, "views/overview.py", ATTACKS["the other days"])
    assert [m.value for m in one_day.metric] == [m.value for m in other_days.metric]
    note = (
        "Pour protéger les petits effectifs, les chiffres de personnes portent sur les mois "
        "entiers : du 01/01/2021 au 31/01/2021."
    )
    assert note in [c.value for c in one_day.caption]
    assert note in [c.value for c in other_days.caption]
    whole = _open(small_app, "views/overview.py", Filters())
    assert not any("mois entiers" in c.value for c in whole.caption)


@pytest.mark.parametrize("name", ["everything", "Coubron", "two communes", "one day"])
def test_items_and_months_and_their_exports_are_protected(small_db, name):
    filters = ATTACKS[name]
    chart, export, figures = protected.distributions_by_item(filters, has_demo=False)
    for row in export.itertuples():
        assert row.quantity == _protected_value(filters, f"item:{row.item}")
    assert export.attrs[disclosure.COUNTS] == "protected"
    exports.to_csv(export, french=True)  # a lecteur may download it
    figure, _ = masked_charts.items_chart(chart, export)
    texts = [t for trace in figure.data for t in trace.text]
    assert not {str(v) for v in SECRETS.values()} & set(texts)
    chart, export, _ = protected.distributions_by_month(filters, has_demo=False)
    for row in export.itertuples():
        month = row.month.date()
        one = filters.with_(date_from=month, date_to=protected.coarsen(month, month)[1])
        assert row.quantity == _protected_value(one, f"item:{row.item}")
    assert (chart["quantity"].isna() == export["quantity"].map(lambda v: isinstance(v, str))).all()
    exports.to_csv(export, french=True)


def test_programmes_achievement_is_protected(small_app):
    at = _open(small_app, "views/programmes.py", ATTACKS["one day"])
    tables = pd.concat([d.value for d in at.dataframe])
    row = tables[tables["Objectif"].str.startswith(SSD_TARGET)].iloc[0]
    assert row["Réalisé"] == "secret" and row["Avancement"] == disclosure.DERIVED_LABEL
    assert not set(tables["Réalisé"]) & {"3", "7", "123"}
    assert any("mois entiers" in c.value for c in at.caption)


def test_overview_progress_is_protected(small_db):
    progress, _ = protected.target_progress(Filters(communes=(COUBRON,)))
    people = progress[progress["indicator"] == "quantite"]
    achieved, percent = protected.achieved_texts(people)
    assert not set(achieved) & {"3", "7"}
    hidden = people["achieved_status"] != "publie"
    assert hidden.any() and set(percent[hidden]) == {disclosure.DERIVED_LABEL}
    assert people.loc[hidden, ["progress", "remaining", "monthly_pace"]].isna().all().all()
    assert people.loc[hidden, "status"].isna().all()
    _, exported, _ = masked_charts.protected_progress_chart(people, achieved, percent)
    assert set(exported.loc[hidden, "achieved"]) <= {"< 5", "secret", "masqué"}
    exports.to_csv(exported, french=True)


def test_an_interne_sees_exact_counts(small_app, monkeypatch):
    internal(monkeypatch)
    at = _open(small_app, "views/overview.py", ATTACKS["Coubron"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Personnes touchées"] == "3"
    assert not any("mois entiers" in c.value for c in at.caption)
    at = _open(small_app, "views/programmes.py", ATTACKS["one day"])
    tables = pd.concat([d.value for d in at.dataframe])
    row = tables[tables["Objectif"].str.startswith(SSD_TARGET)].iloc[0]
    assert row["Réalisé"] == f"3 {row['Cible'].split(' ', 1)[1]}"  # in the target's unit


def test_a_programme_without_distributions_shows_none(small_app):
    filters = Filters(programmes=("conseillers-numeriques",))
    figures, _ = protected.key_figures(filters)
    assert figures["people_reached"] == 0 and figures["items_distributed"] == 0
    chart, _, _ = protected.distributions_by_item(filters, has_demo=False)
    assert chart.empty
    at = _open(small_app, "views/overview.py", filters)
    assert {m.label: m.value for m in at.metric}["Personnes touchées"] == "0"
    assert any("Aucune distribution" in i.value for i in at.info)


def test_what_derives_from_an_achievement_follows_the_sql_rule(small_db, monkeypatch):
    """protected._restated, on exact achievements, gives what _target_status.sql gives."""
    internal(monkeypatch)
    for today in (date(2020, 6, 1), date(2021, 1, 15), date(2030, 1, 1)):
        exact, _ = protected.target_progress(Filters(), today)
        again = protected._restated(exact)
        columns = ["progress", "remaining", "monthly_pace", "status", "status_rank", "lag"]
        pd.testing.assert_frame_equal(
            again[columns].astype(object).where(again[columns].notna(), None),
            exact[columns].astype(object).where(exact[columns].notna(), None),
            check_dtype=False,
        )


def test_demonstration_records_of_the_whole_months_are_said(demo_db, use_db, monkeypatch):
    """The lecteur's figures cover whole months: the demonstration records of those months
    are in the figures shown, so the page says so even when the chosen days hold none."""
    from observatoire import warehouse

    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    use_db(demo_db)
    # Les Lilas (93045): one record in January 2021, on the 24th.
    day = Filters(communes=("93045",), date_from=date(2021, 1, 10), date_to=date(2021, 1, 10))
    january = day.with_(date_from=date(2021, 1, 1), date_to=date(2021, 1, 31))
    figures, people = protected.key_figures(day)
    assert not warehouse.key_figures(day)["has_demo"]  # the chosen day holds none
    assert people is not None and warehouse.key_figures(january)["has_demo"]
    assert figures["has_demo"]
