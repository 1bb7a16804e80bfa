"""French CSV (Excel français): every number with a decimal comma whatever its column's
dtype, a column mixing masked text (« masqué », « < 5 ») and decimals included; counts of
people and items whole, small shares to one decimal. Checked on the real exports of the
pages that write such columns, for a lecteur (small counts masked)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pandas as pd
import pytest

from observatoire import exports, protected
from observatoire.charts import masked as masked_charts
from observatoire.charts import targets as charts
from observatoire.filters import Filters
from tests.small_counts import COUBRON

# A number as written in an English-speaking CSV: « 0.7 », « 1234.0 », « -3.25 ».
POINT_DECIMAL = re.compile(r"^-?\d+\.\d+$")
FRENCH_NUMBER = re.compile(r"^-?\d+(,\d+)?$")


def _cells(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _objectives_tables(filters: Filters) -> list[pd.DataFrame]:
    """The Objectifs page's two tables, as its CSV buttons write them (views/targets.py)."""
    today = date(2021, 6, 30)
    progress = protected.target_rows(filters, today=today)
    _, exported, _ = masked_charts.masked_progress_chart(progress)
    table, _ = charts.progress_table(exported, filters.has_territory)
    tables = [table]
    for level in ("ept", "commune"):
        breakdown = protected.target_territory_progress(filters, level, today=today)
        for family in breakdown["target_row"].unique():
            rows = breakdown[breakdown["target_row"] == family]
            _, exported, _ = masked_charts.masked_territory_chart(rows, "titre")
            tables.append(charts.territory_table(exported)[0])
    return tables


def test_french_csv_writes_decimal_commas_in_mixed_columns(small_db):
    mixed = 0
    for filters in (Filters(), Filters(communes=(COUBRON,))):
        for table in _objectives_tables(filters):
            rows = _cells(exports.to_csv(table, french=True))
            for column in table.columns:
                values = [row[str(column)] for row in rows]
                masked = any(v in ("masqué", "< 5", "secret") for v in values)
                decimal = any(re.fullmatch(r"-?\d+[.,]\d+", v) for v in values)
                mixed += masked and decimal
                for value in values:
                    assert not POINT_DECIMAL.match(value), (column, value)
    assert mixed, "no column mixes masked text and decimals: the test proves nothing"


# Every page with exported data, and the query that fills it.
PAGES = [
    ("views/overview.py", {}),
    ("views/map.py", {}),
    ("views/need.py", {}),
    ("views/territory.py", {"code": COUBRON}),
    ("views/targets.py", {}),
    ("views/funding.py", {}),
    ("views/allocation.py", {}),
]
COUNT_COLUMNS = ("Réalisé", "Objectif", "Reste à faire", "Rythme nécessaire par mois")


@pytest.fixture
def small_app(app, small_db):
    """app.py on the tiny warehouse of small counts (public mode)."""
    return app


@pytest.mark.parametrize("warehouse_app", ["small_app", "app"])
def test_every_page_export_is_french_for_a_lecteur(request, warehouse_app):
    """The CSV of every figure of every page (press kit and export buttons write the same
    to_csv), for a lecteur: no « 0.7 », counts whole, small shares to one decimal."""
    app = request.getfixturevalue(warehouse_app)
    checked = 0
    for page, query in PAGES:
        at = app.run()
        at.switch_page(page)
        at.query_params.update(query)
        at.run()
        assert not at.exception, (page, at.exception)
        for figure, title, _ in at.session_state["_press_kit_figures"]:
            rows = _cells(exports.to_csv(figure.data, french=True))
            for row in rows:
                for column, value in row.items():
                    assert not POINT_DECIMAL.match(value), (page, title, column, value)
                    if column in COUNT_COLUMNS and FRENCH_NUMBER.match(value):
                        whole, _, decimals = value.partition(",")
                        assert len(decimals) <= 1 and (not decimals or abs(int(whole)) < 10)
            checked += 1
    assert checked >= 10


def test_french_csv_formats_numbers_whatever_the_dtype():
    frame = pd.DataFrame(
        {
            "Objectif": pd.Series([0.7, "masqué", 1834.0, None], dtype=object),
            "Avancement": [0.327, 1.0, 0.05, float("nan")],
            "Réalisé": pd.array([3, None, 1200, 7], dtype="Int64"),
            "Commune": ["Coubron", "Dugny", "-2", "Montreuil"],
        }
    )
    rows = _cells(exports.to_csv(frame, french=True))
    assert [r["Objectif"] for r in rows] == ["0,7", "masqué", "1834", ""]
    assert [r["Avancement"] for r in rows] == ["0,327", "1", "0,05", ""]
    assert [r["Réalisé"] for r in rows] == ["3", "", "1200", "7"]
    assert rows[2]["Commune"] == "'-2"  # never a formula
    # The standard CSV keeps the point.
    standard = list(csv.DictReader(io.StringIO(exports.to_csv(frame, french=False).decode())))
    assert standard[0]["Objectif"] == "0.7"
