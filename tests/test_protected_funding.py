"""Financements for a lecteur: the « Coûts » table's counts of people (equipment, people
reached) and what derives from them (€ per item, € per person) come from the protected
tables; money and posts stay exact; an interne sees exact counts. The warehouse is
tests/small_counts.py (Coubron: 3 ordinateurs, 900 € for the programme)."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from observatoire import disclosure, exports, protected
from observatoire.charts import funding as charts
from observatoire.filters import Filters
from tests.conftest import ROOT
from tests.small_counts import COUBRON, MONTREUIL, internal

EMMAUS = "Partenariat Département – CAF – Emmaüs Connect"


def _costs(filters: Filters):
    costs, _ = protected.funding_costs(filters)
    table, _ = charts.cost_table(costs)
    return table.set_index("Programme")


def _expected(filters: Filters, measure: str):
    one = filters.with_(programmes=("emmaus-connect-2020",))
    cell = protected.protected_counts(one, measure, "departement").table.iloc[0]
    return disclosure.status_text(cell["status"]) or cell["value"]


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(communes=(COUBRON,)),
        Filters(communes=(COUBRON, MONTREUIL)),
        Filters(date_from=date(2020, 12, 5), date_to=date(2021, 1, 10)),
    ],
    ids=["everything", "Coubron", "two communes", "partial months"],
)
def test_costs_show_protected_counts_of_people(small_db, filters):
    row = _costs(filters).loc[EMMAUS]
    people, items = _expected(filters, "personnes"), _expected(filters, "equipements")
    assert row["Personnes touchées"] == people
    assert row["Équipements distribués"] == items
    if isinstance(people, str):
        assert row["€ par personne touchée"] == disclosure.DERIVED_LABEL
    else:
        assert row["€ par personne touchée"] == pytest.approx(row["Financements (€)"] / people)
    assert row["Financements (€)"] == 900  # money is not a count of people
    assert 3 not in set(row) and 300 not in set(row)  # 900 € ÷ 3 people


def test_costs_of_whole_months_only(small_db):
    """Money and counts of one period: the chosen days widened to whole months, on both."""
    costs, figures = protected.funding_costs(
        Filters(date_from=date(2020, 12, 5), date_to=date(2021, 1, 10))
    )
    assert (figures.month_from, figures.month_to) == (date(2020, 12, 1), date(2021, 1, 31))
    assert list(costs["euros"]) == [900]  # given on 01/12/2020, before the 5th
    assert _costs(Filters(communes=(MONTREUIL,))).empty  # no money for Montreuil


def test_cost_table_exports_for_a_lecteur(small_db):
    costs, _ = protected.funding_costs(Filters(communes=(COUBRON,)))
    table, _ = charts.cost_table(costs)
    assert table.attrs[disclosure.COUNTS] == "protected"
    text = exports.to_csv(table, french=True).decode("utf-8-sig")
    assert "< 5" in text and "masqué" in text and ";300" not in text


def _funding_page(filters_query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(filters_query)
    at.run()
    at.switch_page("views/funding.py").run()
    assert not at.exception, at.exception
    return at


def test_funding_page_costs_of_a_small_commune(small_db):
    at = _funding_page({"commune": COUBRON})
    costs = at.dataframe[-1].value.set_index("Programme")
    assert costs.loc[EMMAUS, "Personnes touchées"] not in (3, 3.0)
    assert costs.loc[EMMAUS, "€ par personne touchée"] not in (300, 300.0)


def test_an_interne_sees_exact_costs(small_db, monkeypatch):
    internal(monkeypatch)
    row = _costs(Filters(communes=(COUBRON,))).loc[EMMAUS]
    assert row["Personnes touchées"] == 3 and row["€ par personne touchée"] == 300
    at = _funding_page({"commune": COUBRON})
    costs = at.dataframe[-1].value.set_index("Programme")
    assert costs.loc[EMMAUS, "Personnes touchées"] == 3
