"""Map classification: known inputs → known bounds, classes and counts."""

from __future__ import annotations

import math

import pytest

from observatoire import fmt
from observatoire.classify import classify, parse_thresholds


def test_quantiles_of_one_to_ten():
    result = classify(range(1, 11), "quantiles", 5)
    assert result.bounds == pytest.approx((1, 2.8, 4.6, 6.4, 8.2, 10))
    assert result.counts == [2, 2, 2, 2, 2]
    assert result.index == (0, 0, 1, 1, 2, 2, 3, 3, 4, 4)


def test_equal_intervals_and_closed_right_classes():
    result = classify([0, 10, 20, 25, 40, 100], "egal", 4)
    assert result.bounds == (0, 25, 50, 75, 100)
    # 25 sits on a bound: it belongs to the class it closes.
    assert result.index == (0, 0, 0, 0, 1, 3)
    assert result.counts == [4, 1, 0, 1]


def test_natural_breaks_find_the_gaps():
    values = [1, 2, 3, 20, 21, 22, 100, 101]
    result = classify(values, "jenks", 3)
    assert result.bounds == (1, 3, 22, 101)
    assert result.counts == [3, 3, 2]


def test_manual_thresholds_extend_to_the_data():
    result = classify([5, 50, 150, 900], "manuel", thresholds=(100, 500))
    assert result.bounds == (5, 100, 500, 900)
    assert result.counts == [2, 1, 1]
    # Thresholds beyond the data stay: the legend shows what the user asked for.
    wide = classify([5, 50], "manuel", thresholds=(100, 500))
    assert wide.bounds == (5, 100, 500) and wide.counts == [2, 0]


def test_missing_values_are_no_class_not_zero():
    result = classify([None, 0, 10, math.nan, 20], "egal", 2)
    assert result.missing == 2
    assert result.index == (-1, 0, 0, -1, 1)
    assert sum(result.counts) == 3


def test_degenerate_inputs():
    assert classify([None, None]).count == 0
    same = classify([7, 7, 7], "quantiles", 5)
    assert same.bounds == (7, 7) and same.counts == [3]
    few = classify([1, 2, 2, 3], "jenks", 5)
    assert few.bounds == (1, 1, 2, 3) and few.counts == [1, 2, 1]
    ties = classify([0, 0, 0, 0, 0, 0, 5, 10], "quantiles", 4)
    assert ties.bounds[0] == 0 and ties.counts[0] == 6 and sum(ties.counts) == 8
    with pytest.raises(ValueError):
        classify([1, 2], "inconnue")


def test_french_labels():
    result = classify([1000, 2500, 12000], "manuel", thresholds=(2000,))
    assert result.labels(fmt.number) == ["1\u00a0000 à 2\u00a0000", "2\u00a0000 à 12\u00a0000"]
    assert classify([1, 2, 3], "jenks", 5).labels(fmt.number) == ["1", "1 à 2", "2 à 3"]


def test_parse_thresholds():
    assert parse_thresholds("100 ; 1 000 ; 2\u00a0500,5") == (100, 1000, 2500.5)
    assert parse_thresholds("50 %; 25 %") == (25, 50)
    assert parse_thresholds("") == ()
    with pytest.raises(ValueError, match="Seuil illisible"):
        parse_thresholds("100 ; beaucoup")


def _ifn_scores() -> list[float]:
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "reference" / "ifn-communes-93.csv"
    with path.open(encoding="utf-8") as f:
        return [float(row["total"]) for row in csv.DictReader(f)]


def test_a_default_method_that_flattens_gives_way_to_one_that_discriminates():
    scores = _ifn_scores()
    n = len(scores)
    # Equal intervals on the 0–10 scale put about 4 communes in 5 in one class.
    flat = classify(scores, "egal", 5, scale=(0, 10))
    assert max(flat.counts) >= 0.75 * n and not flat.note
    # As a default, they give way to classes chosen from the values, and say so.
    result = classify(scores, "egal", 5, scale=(0, 10), balanced=True)
    assert result.method in ("jenks", "quantiles")
    assert max(result.counts) <= 0.4 * n
    assert f"{max(flat.counts)} valeurs sur {n}" in result.note and result.note.startswith(
        "Classes : "
    )
    # A method the reader chose is kept, and balanced classes are left as they are.
    assert classify(range(1, 40), "egal", 5, balanced=True).method == "egal"
    assert not classify(range(1, 40), "egal", 5, balanced=True).note
    # A handful of values is never re-cut.
    assert classify([2.5, 4.1, 3.0], "egal", 5, scale=(0, 10), balanced=True).method == "egal"


def test_every_default_map_of_the_demonstration_discriminates(demo_db, use_db):
    from observatoire import warehouse
    from observatoire.filters import Filters
    from observatoire.map import choices as map_choices
    from observatoire.map import reading

    use_db(demo_db)
    catalogue = map_choices.need_catalogue(warehouse.need_indicators(True))
    for key in catalogue:
        choices = map_choices.MapChoices.from_query(
            {"indicateur": "besoin", "detail": key}, catalogue
        )
        view = map_choices.prepare(warehouse.need_values(Filters(), "commune", key), choices)
        distinct = len(set(view.table["shown"].dropna()))
        if distinct >= 10:  # enough distinct values to share out
            assert max(view.classes.counts) <= 0.45 * sum(view.classes.counts), key
    ifn = map_choices.MapChoices.from_query({"indicateur": "besoin"}, catalogue)
    view = map_choices.prepare(warehouse.need_values(Filters(), "commune", "ifn"), ifn)
    assert view.classes.note in reading.notes(view, {})
