"""Figures and tables of the « Objectifs » page, without Streamlit."""

from __future__ import annotations

from datetime import date

import pandas as pd

from observatoire.charts import targets as charts


def _row(**changes):
    row = {
        "target_row": 1,
        "programme_name": "Programme",
        "label": "Ordinateurs",
        "unit": "ordinateurs",
        "target_share": 100.0,
        "achieved": 40.0,
        "progress": 0.4,
        "status": "en retard",
        "status_rank": 0,
        "lag": -0.1,
        "elapsed": 0.5,
        "start_date": pd.Timestamp("2021-01-01"),
        "end_date": pd.Timestamp("2021-12-31"),
        "monthly": [{"month": date(2021, 3, 1), "achieved": 40.0}],
    }
    return pd.DataFrame([row | changes])


def test_progress_text_never_rounds_up_to_the_target():
    assert charts.progress_text(0.9985) == "99,9\u00a0%"
    assert charts.progress_text(1) == "100\u00a0%"
    assert charts.progress_text(0.404) == "40\u00a0%"
    assert charts.progress_text(None) == "–"


def test_laggards_first_sorts_by_status_then_gap():
    rows = pd.concat(
        [
            _row(target_row=1, status="atteint", status_rank=4, lag=0.5),
            _row(target_row=2, status="en retard", status_rank=0, lag=-0.1),
            _row(target_row=3, status="en retard", status_rank=0, lag=-0.4),
            _row(target_row=4, status="non commencé", status_rank=1, lag=-1.0),
        ]
    )
    assert list(charts.sort_rows(rows, True, ["target_row"])["target_row"]) == [3, 2, 4, 1]
    assert list(charts.sort_rows(rows, False, ["target_row"])["target_row"]) == [1, 2, 3, 4]


def test_trajectory_draws_the_straight_line_or_the_target_alone():
    row = next(_row().itertuples())
    fig = charts.trajectory(row, date(2021, 7, 1))
    line, achieved = fig.data
    assert list(line.y) == [0, 100]
    # The programme start (0), then the end of March (40).
    assert list(achieved.y) == [0, 40]
    assert pd.Timestamp(achieved.x[1]) == pd.Timestamp("2021-03-31")
    no_end = next(_row(end_date=pd.NaT, elapsed=float("nan")).itertuples())
    fig = charts.trajectory(no_end, date(2021, 7, 1))
    assert len(fig.data) == 1
    assert fig.layout.shapes[0].y0 == 100  # the target as a horizontal line


def test_progress_bars_colour_by_status_and_mark_the_expected_progress():
    fig = charts.progress_bars(_row())
    bars, expected = fig.data[0], fig.data[-1]
    assert bars.marker.color[0] == charts.STATUS_COLOURS["en retard"]
    assert list(expected.x) == [50]
    assert "en retard" in charts.progress_reading(_row())
