"""The read side of the protected tables (observatoire/protected.py): exact cube cells, sums
of covering cells masked as soon as one is suppressed, dates coarsened to whole months."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from observatoire import protected
from observatoire.filters import Filters
from tests.secrecy_audit import P1, P2, fill_small_warehouse
from tests.small_counts import MONTREUIL


@pytest.fixture
def con(empty_db, monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    con = duckdb.connect(str(empty_db))
    communes = fill_small_warehouse(con)
    yield con, communes
    con.close()


def _cell(con, territory, measure="personnes", programme="*", period="*", dataset="tout"):
    row = con.execute(
        "SELECT value, status FROM public_counts WHERE dataset = ? AND territory_code = ? "
        "AND programme_id = ? AND measure = ? AND period = ?",
        [dataset, territory, programme, measure, period],
    ).fetchone()
    return row or (0, "publie")


def _figures(con, level="commune", measure="personnes", **filters):
    out = protected.protected_counts(Filters(**filters), measure, level, con=con)
    return out, out.table.set_index("territory_code")


def _shown(table, code):
    value, status = table.loc[code, "value"], table.loc[code, "status"]
    return (None if pd.isna(value) else int(value)), status


def _expected(con, territory, **cell):
    value, status = _cell(con, territory, **cell)
    return (value if status == "publie" else None), status


def test_an_exact_cell_shows_its_own_status(con):
    con, (a, *_) = con
    _, table = _figures(con)
    assert len(table) == 39 and table["exact"].all()
    assert _shown(table, a) == (None, "primaire")
    for code in table.index:
        assert _shown(table, code) == _expected(con, code)


def test_a_sum_with_a_suppressed_cell_is_masked_so_no_difference_tells_it(con):
    con, (a, *_) = con
    quiet = sorted(
        r[0]
        for r in con.execute(
            "SELECT code FROM communes WHERE code NOT IN "
            "(SELECT commune_code FROM distributions) ORDER BY code LIMIT 2"
        ).fetchall()
    )
    _, both = _figures(con, level="departement", communes=(a, quiet[0]))
    assert _shown(both, "93") == (None, "masque") and not both.loc["93", "exact"]
    _, alone = _figures(con, level="departement", communes=(quiet[0],))
    assert _shown(alone, "93") == (0, "publie")  # a published 0: a + 0 stays masked
    _, two = _figures(con, level="departement", communes=tuple(quiet))
    assert _shown(two, "93") == (0, "publie")  # a sum of published cells is published
    _, pair = _figures(con, level="departement", communes=(a, MONTREUIL))
    assert _shown(pair, "93") == (None, "masque")


def test_whole_territories_use_their_own_cell(con):
    con, (a, *_) = con
    ept = con.execute("SELECT ept_code FROM communes WHERE code = ?", [a]).fetchone()[0]
    _, table = _figures(con, level="departement", ept=ept)
    assert table.loc["93", "exact"] and _shown(table, "93") == _expected(con, ept)
    _, by_ept = _figures(con, level="ept")
    assert by_ept["exact"].all() and len(by_ept) == 4
    for code in by_ept.index:
        assert _shown(by_ept, code) == _expected(con, code)
    _, everything = _figures(con, level="departement")
    assert everything.loc["93", "exact"] and _shown(everything, "93") == _expected(con, "93")


def test_dates_are_coarsened_to_whole_months(con):
    con, _ = con
    out, table = _figures(con, date_from=date(2021, 1, 10), date_to=date(2021, 1, 20))
    assert (out.month_from, out.month_to) == (date(2021, 1, 1), date(2021, 1, 31))
    assert table["exact"].all()  # 2021 holds one month of data: the year's cell
    assert _shown(table, MONTREUIL) == _expected(con, MONTREUIL, period="2021")
    out, table = _figures(con, date_from=date(2020, 12, 5))
    assert out.month_from == date(2020, 12, 1) and out.month_to is None
    assert _shown(table, MONTREUIL) == _expected(con, MONTREUIL)  # all the data: '*'


def test_period_cells_prefer_whole_years():
    cells = protected.period_cells(date(2020, 3, 1), date(2021, 2, 28), "2020-01", "2021-06")
    assert cells == [f"2020-{m:02d}" for m in range(3, 13)] + ["2021-01", "2021-02"]
    cells = protected.period_cells(date(2019, 1, 1), date(2020, 12, 31), "2020-03", "2021-06")
    assert cells == ["2020"]
    assert protected.period_cells(None, None, "2020-03", "2021-06") == ["*"]
    assert protected.period_cells(date(2022, 1, 1), None, "2020-03", "2021-06") == []


def test_programmes_and_datasets(con):
    con, (a, *_) = con
    _, one = _figures(con, programmes=(P1,))
    assert _shown(one, MONTREUIL) == _expected(con, MONTREUIL, programme=P1)
    _, every = _figures(con, programmes=(P1, P2))
    assert every["exact"].all()  # every programme: the '*' cells
    _, real = _figures(con, include_demo=False)
    assert _shown(real, a) == (None, "primaire")
    _, demo = _figures(con)
    assert _shown(demo, a) == (None, "primaire")  # 3 real + 10 demonstration: still hidden


def test_an_unknown_level_is_refused(con):
    con, _ = con
    with pytest.raises(ValueError):
        protected.protected_counts(Filters(), "personnes", "region", con=con)
