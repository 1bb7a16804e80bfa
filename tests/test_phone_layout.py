"""Layout choices for narrow and wide screens that need no browser: the targets tables' on-screen
columns fit a 1 440 px screen, the map's legend sits under the map, and the page script that
webapp/ui.py injects is whole (tests/e2e/test_phone_browser.py checks them in Chromium)."""

from __future__ import annotations

import pandas as pd
import pytest

from webapp import ui

PROGRESS = ["Programme", "Objectif annoncé", "Réalisé", "Objectif", "Unité", "Avancement"]
PROGRESS += ["Reste à faire", "Échéance", "Rythme nécessaire par mois", "Statut"]
TERRITORIAL = [*PROGRESS, "Part de l'objectif", "Financements départementaux non ventilés (€)"]
BY_TERRITORY = ["Territoire", "Code", "EPT", "Population", "Objectif", "Règle de répartition"]
BY_TERRITORY += ["Réalisé", "Avancement", "Reste à faire", "Rythme nécessaire par mois", "Statut"]


@pytest.mark.parametrize("columns", [PROGRESS, TERRITORIAL, BY_TERRITORY])
def test_targets_tables_show_their_status_without_scrolling(columns):
    table = pd.DataFrame(columns=[*columns, "Source"])
    layout = ui.targets_table_layout(table)
    order, config = layout["column_order"], layout["column_config"]
    assert sorted(order) == sorted(table.columns)  # nothing dropped
    through_status = order[: order.index("Statut") + 1]
    for wanted in ("Objectif", "Reste à faire", "Rythme nécessaire par mois", "Statut"):
        assert wanted in through_status
    if "Échéance" in columns:
        assert "Échéance" in through_status
    assert all(column in config for column in through_status)
    width = sum(config[column]["width"] for column in through_status)
    assert width <= ui.WIDE_SCREEN_TABLE_PX
    assert config["Rythme nécessaire par mois"]["label"] == "Rythme / mois"


def test_page_script_is_whole():
    assert "<" not in ui._PAGE_JS  # st.html would drop the script
    captured = {}
    original = ui.st.html
    ui.st.html = lambda body, **kwargs: captured.update(body=body, **kwargs)
    try:
        ui.prepare_page()
    finally:
        ui.st.html = original
    assert captured["unsafe_allow_javascript"] is True
    script = captured["body"]
    assert "__WORDS__" not in script and "__PREFIXES__" not in script
    assert "__PHONE_LABELS__" not in script and '"LABEL_PX": 11' in script
    assert '"Select all": "Tout sélectionner"' in script
    assert "document.documentElement.lang = 'fr'" in script


def test_plotly_speaks_french():
    words = ui.PLOTLY_FRENCH["dictionary"]
    assert words["Download plot as a PNG"].startswith("Télécharger")
    assert len(ui.PLOTLY_FRENCH["format"]["months"]) == 12


@pytest.mark.parametrize(
    ("first", "config", "expected"),
    [
        ("Territoire", None, None),  # sized to its texts
        ("Objectif annoncé", ui.TARGET_COLUMNS, ui.PINNED_PX),  # 220 on a laptop: too wide
    ],
)
def test_a_tables_first_column_is_pinned_narrow_enough_for_a_phone(first, config, expected):
    frame = pd.DataFrame({first: ["Les Pavillons-sous-Bois", "Bondy"], "Objectif": [1, 2]})
    layout = ui.pinned_layout(frame, None, config)
    pinned = layout["column_config"][first]
    assert pinned["pinned"] is True
    # Streamlit freezes pinned columns only while they take at most 60 % of the table: a
    # 360 px phone leaves a 328 px table.
    assert pinned["width"] <= 0.6 * 328
    if expected:
        assert pinned["width"] == expected
        assert pinned["label"] == first  # the rest of its configuration kept
    else:
        assert pinned["width"] >= len("Les Pavillons-sous-Bois") * 7  # the name whole
    assert [c for c, v in layout["column_config"].items() if v.get("pinned")] == [first]


def test_a_column_of_dates_is_shown_as_dates_not_as_sorting_values():
    from datetime import date

    frame = pd.DataFrame({"Mois": [date(2020, 4, 1), date(2021, 5, 1)], "Quantité": [3, 4]})
    shown = ui._as_datetimes(frame)
    assert pd.api.types.is_datetime64_any_dtype(shown["Mois"])
    assert list(frame["Mois"]) == [date(2020, 4, 1), date(2021, 5, 1)]  # downloads unchanged


def test_target_rows_are_tall_enough_for_a_phone():
    """On a phone, webapp/page.js writes each target's title above its bar in 11 px type,
    wrapped at 50 characters, followed by the bar's text; the server's rows hold that."""
    from observatoire.charts import targets
    from tests.test_targets_charts import _row

    long = (
        "Reconditionnement d'ordinateurs pour les Missions locales (État 2020) – "
        "Reconditionnement de matériel informatique par des entreprises d'insertion"
    )
    rows = pd.concat([_row(label=long, progress=0.1), _row(label="Court", progress=0.9)])
    figure = targets.progress_bars(rows.reset_index(drop=True))
    label = figure.data[0].y[1]  # the first row, drawn at the top
    assert targets.phone_label_lines(label, "10 % · en retard") == 4
    plot = figure.layout.height - figure.layout.margin.t - figure.layout.margin.b
    assert plot / len(rows) >= 4 * 11 * 1.3 + 4 + 10 + 8
    # Exported images keep Plotly's bar widths: the wide screen's thickness is a hint.
    assert figure.layout.bargap is None
    assert figure.layout.meta == {"barPx": targets.BAR_PX}
