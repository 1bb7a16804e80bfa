"""Targets that never mislead: an action run at the département's scale reads as such for a
commune or an EPT (never « 0 % · non commencé »), on screen, in the PDF fiche and in the
exports; a passed deadline still answers « how much per month now »; the target chart writes
each label once, on a contrasting colour, in rows as tall as their titles; exports hold whole
numbers of people and items."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from observatoire import exports, protected, territory
from observatoire.charts import masked as masked_charts
from observatoire.charts import targets as charts
from observatoire.fiche import content as fiche_content
from observatoire.filters import Filters

LA_COURNEUVE = "93027"
PLAINE_COMMUNE = "200057867"
EMMAUS_AID = "Aide exceptionnelle versée à Emmaüs Connect"
TODAY = date(2026, 12, 1)


@pytest.fixture(params=["lecteur", "interne"])
def demo(request, demo_db, use_db, monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    if request.param == "interne":
        monkeypatch.setenv("OBSERVATOIRE_INTERNAL_MODE", "1")
    else:
        monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    return use_db(demo_db)


@pytest.mark.parametrize("code", [LA_COURNEUVE, PLAINE_COMMUNE])
def test_a_departement_scale_action_reads_as_such_on_a_territory(demo, code):
    place = territory.scope(code, Filters())
    _, headline, _ = territory.headline_targets(place, TODAY)
    rows = headline.set_index("label")
    aid = rows.loc[EMMAUS_AID]
    assert aid["status"] == charts.DEPARTEMENT_STATUS
    assert pd.isna(aid["progress"]) and pd.isna(aid["achieved"])
    # The département's progress stands beside it (the whole aid was given).
    assert aid["departement_progress"] == pytest.approx(1.0)
    # No money target given only to the whole département reads « non commencé ».
    money = headline[headline["indicator"] == "montant"]
    assert not (
        money["status"].eq("non commencé") & money["departement_wide_not_shared"].gt(0)
    ).any()
    # The chart: the département's progress, never « 0 % · non commencé ».
    figure, exported, reading = masked_charts.masked_progress_chart(headline)
    texts = [t for trace in figure.data if trace.text is not None for t in trace.text]
    assert "action départementale, non répartie · dép. 100\u00a0%" in texts
    assert "masqué" not in texts  # nothing of it is masked
    assert "action" in reading and "départementale" in reading
    # Its export says so too.
    line = exported[exported["label"] == EMMAUS_AID].iloc[0]
    assert line["status"] == charts.DEPARTEMENT_STATUS and line["departement_progress"] == 1.0
    # The targets table: status and the département's progress column.
    table, formats = charts.progress_table(headline, territorial=True)
    row = table[table["Objectif annoncé"] == EMMAUS_AID].iloc[0]
    assert row["Statut"] == charts.DEPARTEMENT_STATUS
    assert formats[charts.DEPARTEMENT_COLUMN](row[charts.DEPARTEMENT_COLUMN]) == "100\u00a0%"
    counts = dict((label, n) for label, n, _ in charts.status_counts(headline))
    assert int(counts["Actions départementales"]) >= 1


def test_the_fiche_gives_the_departement_progress(demo):
    place = territory.scope(LA_COURNEUVE, Filters())
    _, headline, _ = territory.headline_targets(place, TODAY)
    lines = {line.title: line for line in fiche_content.target_lines(headline)}
    aid = lines[EMMAUS_AID]
    assert aid.departemental and aid.status == charts.DEPARTEMENT_STATUS
    assert aid.progress == pytest.approx(1.0)
    assert aid.progress_text == "département : 100\u00a0%"
    assert aid.figures == "département : 500\u00a0000\u00a0€ sur 500\u00a0000\u00a0€"
    # Every action given only to the whole département reads so, never « 0 € sur … ».
    scale = headline.loc[headline["departement_scale"], "label"]
    assert len(scale) >= 2
    assert all(lines[label].departemental for label in scale)
    assert not any(lines[label].figures.startswith("0\u00a0€") for label in scale)


def test_the_targets_detail_reads_the_departement_scale(demo):
    rows = protected.target_territory_progress(Filters(), "commune", today=TODAY)
    aid = rows[rows["label"] == EMMAUS_AID]
    assert len(aid) == 39 and aid["status"].eq(charts.DEPARTEMENT_STATUS).all()
    figure, exported, reading = masked_charts.masked_territory_chart(aid, "Aide")
    assert reading.startswith("Action menée à l'échelle du département")
    assert all("département : 100" in t for t in figure.data[0].text)
    table, _ = charts.territory_table(aid)
    assert table["Statut"].eq(charts.DEPARTEMENT_STATUS).all()
    assert table[charts.DEPARTEMENT_COLUMN].eq(1.0).all()
    # Targets attributed to territories keep their statuses.
    others = rows[~rows["departement_scale"]]
    assert others["status"].isin([*charts.STATUSES, charts.HIDDEN_STATUS]).all()


def _row(**values) -> dict:
    row = {
        "programme_name": "Programme",
        "indicator": "quantite",
        "label": "Ordinateurs distribués",
        "achieved": 600.0,
        "target_share": 1834.2842289810106,
        "unit": "ordinateurs",
        "progress": 600 / 1834.2842289810106,
        "remaining": 1234.2842289810106,
        "deadline": pd.Timestamp("2020-12-31"),
        "end_date": pd.Timestamp("2020-12-31"),
        "months_left": np.nan,
        "monthly_pace": np.nan,
        "elapsed": 1.0,
        "status": "en retard",
        "status_rank": 0,
        "lag": -0.6,
        "share_rule": "prorata de la population",
        "departement_wide_not_shared": np.nan,
        "source": "f.csv",
        "source_title": "Communiqué",
        "source_date": pd.Timestamp("2020-11-17"),
        "level": "commune",
        "territory_name": "Bondy",
        "territory_code": "93010",
        "ept_name": "Est Ensemble",
        "population": 53000,
    }
    return row | values


def test_a_passed_deadline_still_answers_how_much_per_month():
    rows = pd.DataFrame(
        [
            _row(),
            _row(label="Atteint", achieved=2000.0, remaining=0.0, progress=1.09, status="atteint"),
            _row(
                label="À venir",
                months_left=10.0,
                monthly_pace=123.4,
                end_date=pd.Timestamp("2030-01-01"),
            ),
        ]
    )
    table, formats = charts.progress_table(rows, territorial=False)
    late = table.iloc[0]
    assert late["Échéance"] == "échéance passée le 31/12/2020, reste 1\u00a0234"
    # What remains over 12 months, a whole number of computers.
    assert late["Rythme nécessaire par mois"] == round(1234.2842289810106 / 12)
    assert pd.isna(table.iloc[1]["Rythme nécessaire par mois"])  # met: nothing left
    assert table.iloc[2]["Rythme nécessaire par mois"] == 123
    assert "12 mois" in charts.METHOD
    detail, _ = charts.territory_table(rows)
    assert detail.iloc[0]["Rythme nécessaire par mois"] == round(1234.2842289810106 / 12)


def test_exports_hold_whole_numbers_and_rounded_shares():
    rows = pd.DataFrame(
        [
            _row(),
            _row(
                label="Petite part",
                target_share=0.7012548447369716,
                achieved=0.0,
                progress=0.0,
                remaining=0.7012548447369716,
                status="non commencé",
            ),
        ]
    )
    table, _ = charts.progress_table(rows, territorial=False)
    assert table.iloc[0]["Objectif"] == 1834 and table.iloc[0]["Reste à faire"] == 1234
    assert table.iloc[0]["Avancement"] == 0.327
    assert table.iloc[1]["Objectif"] == 0.7  # a small share keeps one decimal, never 0
    csv = exports.to_csv(table).decode("utf-8-sig")
    assert not re.search(r"\d[.,]\d{4,}", csv), csv
    exported = charts.rounded(rows)
    assert exported.iloc[0]["target_share"] == 1834 and exported.iloc[1]["target_share"] == 0.7


@pytest.mark.parametrize("protected_rows", [True, False])
def test_target_chart_labels_never_collide_and_contrast(protected_rows):
    from observatoire import disclosure

    rows = pd.DataFrame(
        [
            _row(
                label="Atteint " + "très long libellé " * 8,
                achieved=2000.0,
                progress=1.09,
                status="atteint",
                elapsed=1.0,
            ),
            _row(label="Caché", achieved=3.0, progress=np.nan, status="atteint"),
            _row(label="Vide", achieved=0.0, progress=0.0, status="non commencé"),
            _row(label="En retard", progress=0.6, status="en retard"),
        ]
    )
    if protected_rows:  # protected.target_rows: the hidden count already dropped
        rows.loc[1, "achieved_text"] = "< 5"
        rows.loc[[0, 2, 3], "achieved_text"] = None
    else:  # exact rows, masked by disclosure.mask_progress
        rows.loc[1, "progress"] = 3 / 1834.28
    figure, _, _ = masked_charts.masked_progress_chart(rows)
    # Every row's label is written exactly once, on the bar or beside it.
    written: dict[str, list[str]] = {}
    for trace in figure.data:
        if trace.text is None or getattr(trace, "mode", None) == "markers":
            continue
        for y, text in zip(trace.y, trace.text, strict=True):
            if text:
                written.setdefault(y, []).append(text)
    assert all(len(texts) == 1 for texts in written.values()), written
    assert len(written) == 4
    hidden = next(texts[0] for y, texts in written.items() if y.startswith("Programme – Caché"))
    assert hidden == disclosure.DERIVED_LABEL
    assert not any(t.startswith("–") for texts in written.values() for t in texts)
    # Text inside a bar contrasts at 4.5:1 at least with it.
    bar = figure.data[0]
    for colour, text, font in zip(
        bar.marker.color, bar.text, bar.insidetextfont.color, strict=True
    ):
        if text:
            assert charts.contrast(font, colour) >= 4.5
    for colour in charts.STATUS_COLOURS.values():
        assert charts.contrast(charts.text_colour(colour), colour) >= 4.5
    # Rows as tall as their three-line titles.
    lines = max(y.count("<br>") + 1 for y in bar.y)
    assert lines >= 3
    plot_height = figure.layout.height - 90
    assert plot_height / len(rows) >= 17 * lines


def test_the_map_offers_no_departement_scale_action(demo):
    from observatoire import warehouse
    from observatoire.map import choices as map_choices

    progress = warehouse.target_territory_progress(Filters(), "commune", today=TODAY)
    labels = map_choices.target_options(progress).values()
    assert not any(EMMAUS_AID in label for label in labels)
    assert any("PC portables" in label for label in labels)


def test_an_exported_frame_goes_through_the_tables_again():
    rows = pd.DataFrame([_row(), _row(label="Masqué", monthly_pace=np.nan)])
    exported = charts.rounded(rows)
    table, _ = charts.territory_table(exported)
    assert table.iloc[0]["Rythme nécessaire par mois"] == round(1234.2842289810106 / 12)
    table, _ = charts.progress_table(exported, territorial=False)
    assert table.iloc[0]["Objectif"] == 1834
