"""A link with a date outside the date inputs' bounds (`/?au=2099-12-31`, `/?du=0001-01-01`)
is brought back inside them with a French notice, instead of an English traceback that
breaks every page of the session; and no traceback ever reaches a reader."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from streamlit import config

from observatoire.date_bounds import DATE_MIN, clamp_period

ROOT = Path(__file__).resolve().parent.parent


def test_clamp_period():
    today = date(2026, 12, 3)
    assert clamp_period(None, None, highest=today) == (None, None, None)
    inside = (date(2020, 1, 1), date(2021, 1, 1))
    assert clamp_period(*inside, highest=today) == (*inside, None)
    du, au, notice = clamp_period(date(1, 1, 1), date(2099, 12, 31), highest=today)
    assert (du, au) == (DATE_MIN, today)
    assert notice == (
        "Le lien demandait une période hors des dates possibles (du 01/01/2000 au "
        "03/12/2026) : début 01/01/0001 ramenée au 01/01/2000, fin 31/12/2099 ramenée "
        "au 03/12/2026."
    )


@pytest.mark.parametrize(
    "key, value, expected",
    [("au", "2099-12-31", date.today()), ("du", "0001-01-01", DATE_MIN)],
)
def test_out_of_range_link_on_the_overview(app, key, value, expected):
    app.query_params[key] = value
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Vue d'ensemble"
    assert any("hors des dates possibles" in i.value for i in at.info)
    assert at.date_input(key=f"f_{key}").value == expected
    assert at.query_params[key] == expected.isoformat()
    # The rest of the session works: another page, then back.
    at.switch_page("views/programmes.py").run()
    assert not at.exception
    assert at.title[0].value == "Programmes et sources"


def test_error_details_are_hidden_from_readers():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    value = settings["client"]["showErrorDetails"]
    assert value == config.ShowErrorDetailsConfigOptions.NONE
    assert value in {o.value for o in config.ShowErrorDetailsConfigOptions}
