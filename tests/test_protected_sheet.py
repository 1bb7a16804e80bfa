"""The territory sheet and its PDF fiche for a lecteur (and for the fiches command, which
has no identity): every count of people — key figures beside the EPT and the département,
headline targets, quantities per item and per month — is the protected figure, the records
with their quantities are for internes only, and an interne still sees exact counts (tiny
warehouse of tests/small_counts.py)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pandas as pd
import pypdf
import pytest

from observatoire import exports, fiches, protected, sheet, territory
from observatoire.charts import masked as masked_charts
from observatoire.fiche import content as fiche_content
from observatoire.filters import Filters
from tests.small_counts import COUBRON, DUGNY, MONTREUIL, SECRETS, internal

GPGE = "200058790"  # Coubron's EPT
REAL = Filters(include_demo=False)  # real records only: a small count reads « < 5 »
TODAY = date(2026, 12, 1)


def _protected(filters: Filters, measure: str) -> tuple[float | None, str]:
    row = protected.protected_counts(filters, measure, "departement").table.iloc[0]
    return (None if pd.isna(row["value"]) else float(row["value"])), row["status"]


def test_key_figures_beside_the_ept_and_the_departement_are_protected(small_db):
    place = territory.scope(COUBRON, REAL)
    figures = territory.key_figures(place)
    columns = territory.compared(place, figures, "Coubron")
    assert [name for name, _ in columns] == [
        "Coubron",
        "EPT Grand Paris Grand Est",
        "Seine-Saint-Denis",
    ]
    scopes = [place.scoped, REAL.with_(ept=GPGE), REAL]
    for (_, figs), scope in zip(columns, scopes, strict=True):
        for key, measure in protected.KEY_FIGURE_MEASURES.items():
            assert (figs[key], figs[f"{key}_status"]) == _protected(scope, measure)
    assert territory.figure_text(figures, "people_reached") == "< 5"
    assert territory.figure_text(figures, "euros_committed") == "900\u00a0€"
    table = sheet.comparison_table(columns).set_index("Indicateur")
    assert table.loc["Personnes touchées", "Coubron"] == "< 5"
    assert table.loc["Personnes touchées", "Coubron (pour 1 000 hab.)"] == "masqué"
    # The département and the EPT show their protected cell, whatever the old masking did:
    # no « département minus the other communes » from figures the page does not show.
    for name, scope in zip(
        ["EPT Grand Paris Grand Est", "Seine-Saint-Denis"], scopes[1:], strict=True
    ):
        value, status = _protected(scope, "personnes")
        shown = table.loc["Personnes touchées", name]
        assert shown == value if status == "publie" else shown in ("< 5", "secret")
    csv = exports.to_csv(table.reset_index()).decode("utf-8-sig")
    assert ";3;" not in csv and ";7;" not in csv


def test_items_months_and_targets_of_the_sheet(small_db):
    scoped = REAL.with_(communes=(COUBRON, DUGNY))
    shown, exported, _ = protected.distributions_by_item(scoped, False)
    for row in shown.itertuples():
        value, status = _protected(scoped, f"item:{row.item}")
        assert pd.isna(row.quantity) if status != "publie" else row.quantity == value
    figure, _ = masked_charts.items_chart(shown, exported)
    assert not exported["quantity"].isin(list(SECRETS.values())).any()
    assert not set(figure.data[0].x) & set(SECRETS.values())
    months = protected.programme_months(REAL)
    assert months.attrs["counts"] == "protected"
    chart, data = sheet.programme_months_split(months)
    assert not data["quantity"].isin([3, 7, 3 + 7, 3 + 120, 7 + 120]).any()
    table = sheet.months_table(data)
    assert list(table.columns) == ["Mois", "Programme", "Quantité distribuée"]
    _, headline, _ = territory.headline_targets(territory.scope(COUBRON, REAL), TODAY)
    people = headline[headline["indicator"] == "quantite"]
    assert not people["achieved"].isin(list(SECRETS.values())).any()
    assert headline.attrs["counts"] == "protected"


def test_the_fiche_and_the_command_show_the_protected_figures(small_db, tmp_path):
    fiche = fiche_content.gather(COUBRON, REAL, today=TODAY)
    tiles = dict((label, text) for label, text in fiche.tiles)
    assert tiles["Personnes touchées"] == "< 5" and tiles["Équipements distribués"] == "< 5"
    hidden = [t for t in fiche.targets if t.progress_text == "masqué"]
    assert hidden and all(t.status == "masqué" and t.progress is None for t in hidden)
    assert all(not t.figures.startswith(("3 ", "7 ")) for t in fiche.targets)
    # The command has no identity: public unless OBSERVATOIRE_INTERNAL_MODE=1.
    target = tmp_path / "fiches.zip"
    assert fiches.main(["--sortie", str(target), "--ept", GPGE, "--sans-demo"]) == 0
    with zipfile.ZipFile(target) as archive:
        name = next(n for n in archive.namelist() if COUBRON in n)
        reader = pypdf.PdfReader(io.BytesIO(archive.read(name)))
    text = reader.pages[0].extract_text().replace("\u00a0", " ")
    tiles_text = text.split("Comparaison")[0]
    assert "< 5\nÉquipements distribués" in tiles_text and "\n3\n" not in tiles_text


def test_months_note_on_the_fiche(small_db):
    filters = REAL.with_(date_from=date(2021, 1, 5), date_to=date(2021, 1, 20))
    fiche = fiche_content.gather(MONTREUIL, filters, today=TODAY)
    assert any("mois entiers : du 01/01/2021 au 31/01/2021" in n for n in fiche.notes)


def test_an_interne_sees_exact_figures_and_records(small_db, monkeypatch):
    internal(monkeypatch)
    place = territory.scope(COUBRON, REAL)
    figures = territory.key_figures(place)
    assert figures["people_reached"] == 3 and "people_reached_status" not in figures
    assert territory.records_note() is None
    assert protected.programme_months(REAL).attrs["counts"] == "exact"
    fiche = fiche_content.gather(COUBRON, REAL, today=TODAY)
    assert dict(fiche.tiles)["Personnes touchées"] == "3"


# The page ----------------------------------------------------------------------------------


@pytest.fixture
def small_app(app, small_db):
    return app


def _sheet(at, code=COUBRON):
    at.run()
    at.switch_page("views/territory.py").run()
    at.selectbox(key="t_code").set_value(code).run()
    assert not at.exception, at.exception
    return at


def test_a_lecteur_gets_monthly_figures_not_records(small_app):
    at = _sheet(small_app)
    assert any("réservée aux utilisateurs internes" in c.value for c in at.caption)
    keys = {b.key for b in at.get("download_button")}
    assert not any("sheet_records" in str(k) for k in keys)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Personnes touchées"] in ("< 5", "secret")
    people = ["Personnes touchées", "Équipements distribués"]
    comparison = at.dataframe[0].value.set_index("Indicateur").loc[people]
    assert not comparison.isin(list(SECRETS.values())).any().any()
    months = next(f.value for f in at.dataframe if "Quantité distribuée" in f.value)
    assert not months["Quantité distribuée"].isin([3, 7, 3 + 7]).any()
    assert not any("Quantité" in f.value for f in at.dataframe)  # no record


def test_an_interne_gets_the_records(small_app, monkeypatch):
    internal(monkeypatch)
    at = _sheet(small_app)
    assert not any("réservée aux utilisateurs internes" in c.value for c in at.caption)
    records = at.dataframe[-1].value
    assert "Quantité" in records and 3 in set(records["Quantité"])
