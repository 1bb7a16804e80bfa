"""The territory sheet's tables: key figures beside the EPT and the département, small
counts of people masked in public mode (tests/small_counts.py), exact in internal mode."""

from __future__ import annotations

import io
import math

import openpyxl

from observatoire import exports, sheet, warehouse
from observatoire.filters import Filters
from tests.small_counts import COUBRON, internal
from webapp import ui


def _sheet_figures(code: str) -> list[tuple[str, dict]]:
    return [
        ("Coubron", warehouse.key_figures(Filters(communes=(code,)))),
        ("Seine-Saint-Denis", warehouse.key_figures(Filters())),
    ]


def test_comparison_table_masks_small_counts_of_people(small_db):
    table = sheet.comparison_table(_sheet_figures(COUBRON)).set_index("Indicateur")
    assert table.loc["Personnes touchées", "Coubron"] == "< 5"
    assert table.loc["Personnes touchées", "Coubron (pour 1 000 hab.)"] == "masqué"
    assert table.loc["Équipements distribués", "Coubron"] == "< 5"
    assert table.loc["Euros engagés", "Coubron"] == 900
    assert table.loc["Postes de conseillers numériques", "Coubron"] == 1
    assert table.loc["Personnes touchées", "Seine-Saint-Denis"] == 3 + 7 + 120 + 40 + 60
    # The population has no rate: empty, shown « – », never « None ».
    assert math.isnan(table.loc["Population municipale 2023", "Coubron (pour 1 000 hab.)"])
    shown = ui._text_aware_view(table.reset_index(), sheet.comparison_formats(table.reset_index()))
    assert "None" not in shown.to_string() and "–" in shown.to_string()
    xlsx = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(table.reset_index()))).active
    people = next(r for r in xlsx.iter_rows(values_only=True) if r[0] == "Personnes touchées")
    assert people[1:3] == ("< 5", "masqué")


def test_comparison_table_is_exact_in_internal_mode(small_db, monkeypatch):
    internal(monkeypatch)
    table = sheet.comparison_table(_sheet_figures(COUBRON)).set_index("Indicateur")
    assert table.loc["Personnes touchées", "Coubron"] == 3
