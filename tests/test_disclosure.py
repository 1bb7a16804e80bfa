"""Small counts of people are masked in public mode and cannot be recomputed: the masking
rules, and the helpers that the pages and their exports call."""

from __future__ import annotations

import io
import math

import openpyxl
import pandas as pd
import pytest

from observatoire import charts, disclosure, exports, sheet, warehouse
from observatoire.charts import masked as masked_charts
from observatoire.charts import targets as charts_targets
from observatoire.filters import Filters
from tests.small_counts import COUBRON, internal

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


# The helpers the pages call, on the tiny warehouse of tests/small_counts.py ----------------


def test_key_figures_of_the_sheet(small_db, monkeypatch):
    figures = warehouse.key_figures(Filters(communes=(COUBRON,)))
    assert disclosure.figure_text(figures, "people_reached") == "< 5"
    assert disclosure.figure_text(figures, "euros_committed") == "900\u00a0€"
    assert disclosure.figure_text(figures, "conseiller_posts") == "1"
    internal(monkeypatch)
    assert disclosure.figure_text(figures, "people_reached") == "3"


def test_records_mask_people_not_money_or_posts(small_db):
    records = disclosure.public_records(warehouse.territory_records(Filters()))
    distributions = records[records["Type"] == "Distribution"].set_index("Commune")
    assert distributions.loc["Coubron", "Quantité"] == "< 5"
    # Aubervilliers' 2 recharges: a small quantity in a records table is masked too (a
    # recharge goes to one person), and Coubron is then not alone: no secondary cell.
    assert set(distributions.loc[distributions["Quantité"] == "< 5"].index) == {
        "Coubron",
        "Aubervilliers",
    }
    assert distributions.loc["Dugny", "Quantité"] == 7
    other = records[records["Type"] != "Distribution"]
    assert set(other["Quantité"].dropna()) == {1}  # the conseiller post
    assert set(other["Montant (€)"].dropna()) == {900}
    csv = exports.to_csv(records).decode("utf-8-sig")
    coubron = next(
        line for line in csv.splitlines() if "Coubron" in line and "Distribution" in line
    )
    assert ";< 5;" in coubron and ";3;" not in coubron and ";3,0;" not in coubron


def test_one_small_record_gets_a_second_one_masked(small_db):
    records = disclosure.public_records(
        warehouse.territory_records(Filters(programmes=("emmaus-connect-2020",)))
    )
    masked = records[records["Quantité"].astype(str).isin(["< 5", "secret"])]
    assert set(masked["Commune"]) == {"Coubron", "Dugny"}
    assert "< 5" in set(records.loc[records["Commune"] == "Coubron", "Quantité"])


def test_sheet_charts_hide_small_counts(small_db, monkeypatch):
    scoped = Filters(communes=(COUBRON,))
    by_item, exported = disclosure.mask_people(warehouse.distributions_by_item(scoped), "quantity")
    assert by_item["quantity"].isna().all() and list(exported["quantity"]) == ["< 5"]
    figure = masked_charts.label_masked_bars(charts.items_bar(by_item))
    assert list(figure.data[0].text) == ["< 5"] and list(figure.data[0].x) == [0]
    assert "Toutes les valeurs" in disclosure.reading_of_masked(
        charts.items_reading, by_item, "quantity"
    )
    # Months: secondary suppression within each programme.
    months, months_export = disclosure.mask_people(
        warehouse.territory_programme_months(Filters()), "quantity", by="programme_name"
    )
    by_programme = months.set_index("programme_id")["quantity"]
    # April 2020: Aubervilliers' 2 recharges alone in their programme; January 2021: Emmaüs
    # Connect's 3 + 7 + 120 in the whole département, not small.
    assert math.isnan(by_programme["confinement-2020-sim"])
    assert by_programme["emmaus-connect-2020"] == 130
    assert (months_export["quantity"] == "< 5").sum() == 1
    sim = months[months["programme_id"] == "confinement-2020-sim"]
    empty = masked_charts.annotate_masked(sheet.programme_months_bars(sim, "t"), sim, "quantity")
    assert "masqués" in empty.layout.annotations[0].text
    internal(monkeypatch)
    shown, _ = disclosure.mask_people(warehouse.distributions_by_item(scoped), "quantity")
    assert list(shown["quantity"]) == [3]


def test_sheet_progress_hides_a_small_achievement(small_db):
    progress = warehouse.target_progress(Filters(communes=(COUBRON,)))
    headline = progress[progress["headline"]]
    shown, exported = disclosure.mask_progress(headline)
    row = exported[(exported["indicator"] == "quantite") & (exported["achieved"] == "< 5")]
    assert len(row) >= 1 and set(row["progress"]) == {"masqué"}
    figure = masked_charts.label_masked_progress(charts_targets.progress_bars(shown), shown)
    bar = figure.data[0]
    masked = [i for i, t in enumerate(bar.text) if t == "masqué"]
    assert len(masked) == len(row)
    assert all(bar.customdata[i][0] == "< 5" for i in masked)
    assert "3" not in {str(c[0]) for c in bar.customdata}


def test_an_export_refuses_exact_counts_of_people_for_a_lecteur(small_db):
    from observatoire import disclosure, exports, warehouse
    from observatoire.filters import Filters

    frame = warehouse.distributions_by_item(Filters())
    assert frame.attrs["counts"] == "exact"
    with pytest.raises(disclosure.UnprotectedExport):
        exports.to_csv(frame)
    with pytest.raises(disclosure.UnprotectedExport):
        exports.to_xlsx(frame.rename(columns=str.upper))  # still the same numbers
    assert exports.to_csv(disclosure.mark(frame.copy(), "protected"))


def test_an_interne_exports_exact_counts(small_db, monkeypatch):
    from observatoire import exports, warehouse
    from observatoire.filters import Filters

    internal(monkeypatch)
    assert exports.to_csv(warehouse.distributions_by_item(Filters()))
