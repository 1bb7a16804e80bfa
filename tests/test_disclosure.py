"""Small counts of people are masked in public mode and cannot be recomputed."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from observatoire import disclosure, exports

TABLE = pd.DataFrame(
    {
        "commune": ["Montreuil", "Bobigny", "Coubron", "Vaujours", "Dugny"],
        "personnes": [1240, 37, 3, 12, None],
    }
)


def test_small_counts_are_masked_with_secondary_suppression(monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    masked = disclosure.mask_counts(TABLE, ["personnes"], threshold=5)
    values = dict(zip(masked["commune"], masked["personnes"], strict=True))
    assert values["Coubron"] == "< 5"
    # Otherwise 1 292 − 1 240 − 37 − 12 would give Coubron's 3 back from the total; 12 is
    # not small: it reads « secret », never a false « < 5 ».
    assert values["Vaujours"] == "secret"
    assert values["Montreuil"] == 1240 and values["Bobigny"] == 37
    assert pd.isna(values["Dugny"])  # no data stays no data


def test_masked_values_never_reach_exports(monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    masked = disclosure.mask_counts(TABLE, ["personnes"], threshold=5)
    csv = exports.to_csv(masked).decode("utf-8-sig")
    rows = dict(line.split(";") for line in csv.splitlines()[1:])
    assert rows["Coubron"] == "< 5" and rows["Vaujours"] == "secret"
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(masked))).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert 3 not in cells and 12 not in cells and 1240 in cells


def test_internal_mode_shows_exact_values(monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_INTERNAL_MODE", "1")
    assert disclosure.mask_counts(TABLE, ["personnes"], threshold=5) is TABLE


def test_nothing_to_mask_leaves_numbers():
    table = pd.DataFrame({"personnes": [10, 20, 30]})
    assert disclosure.mask_counts(table, ["personnes"], threshold=5)["personnes"].tolist() == [
        10,
        20,
        30,
    ]


def test_masked_cells_are_left_out_of_classes(monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    masked = disclosure.mask_counts(TABLE, ["personnes"], threshold=5)
    numbers = disclosure.numeric_or_none(masked, "personnes")
    assert numbers.notna().sum() == 2
