"""Counts of people loaded as indicators (Aidants Connect usagers and démarches) are protected
like the help records (etl/protect_need.py → public_indicator_counts): a small count is
hidden from a lecteur, and no subtraction of what is published narrows it (the attacker's
linear program of tests/secrecy_lp.py); the need-side pages read those cells for a lecteur,
an interne sees the exact values."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl import protect_need
from etl.load import load_file
from etl.need.indicators import PEOPLE_COUNTS
from observatoire import warehouse
from observatoire.filters import Filters
from observatoire.map import choices as map_choices
from tests.secrecy_lp import intervals
from tests.small_counts import internal
from tests.test_need_pages import _need_page

T = 5
FORMATS = Path(__file__).parent / "data" / "formats"
USAGERS, DEMARCHES, AIDANTS = (
    "aidants_connect_usagers",
    "aidants_connect_demarches",
    "aidants_connect_aidants",
)
AUBERVILLIERS, BOBIGNY, BONDY, MONTREUIL, SEVRAN, COUBRON = (
    "93001",
    "93008",
    "93010",
    "93048",
    "93071",
    "93015",
)
EST_ENSEMBLE, TERRES_D_ENVOL = "200057875", "200058097"
HEADER = (FORMATS / "aidants_connect_structures.csv").read_text(encoding="utf-8").splitlines()[0]


def _structure(n: int, commune: str, city: str, aidants: int, usagers: int, demarches: int):
    themes = ",".join(["0"] * 10)
    return (
        f"Structure {n},{n},5f0c1a2e-0000-4000-8000-{n:012d},true,{commune},1 rue X,93000,"
        f"2193000000{n:04d},false,{city},{aidants},{usagers},{demarches},{themes}"
    )


def _load(db: Path, tmp_path: Path, year: int, rows: list[str], name: str) -> None:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = load_file(db, "indicateurs", path, year=year)
    assert result.rows_loaded == len(rows), result.messages


@pytest.fixture
def ac_db(empty_db, use_db, monkeypatch, tmp_path):
    """Aidants Connect in Est Ensemble (Bondy: 3 usagers, 4 démarches, 1 aidant; Bobigny 80;
    Montreuil 12) and Plaine Commune (Aubervilliers 150) for 2024, and an older file (2023)
    where Sevran has 2 usagers and Coubron 40: their latest values are of 2023."""
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    _load(
        empty_db,
        tmp_path,
        2023,
        [_structure(1, SEVRAN, "Sevran", 1, 2, 3), _structure(2, COUBRON, "Coubron", 2, 40, 60)],
        "ac-2023.csv",
    )
    _load(
        empty_db,
        tmp_path,
        2024,
        [
            _structure(3, AUBERVILLIERS, "Aubervilliers", 6, 150, 355),
            _structure(4, BOBIGNY, "Bobigny", 3, 80, 200),
            _structure(5, BONDY, "Bondy", 1, 3, 4),
            _structure(6, MONTREUIL, "Montreuil", 2, 12, 20),
        ],
        "ac-2024.csv",
    )
    return use_db(empty_db)


def _cells(db: Path, dataset: str = "reel"):
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = con.execute(
            "SELECT * FROM public_indicator_counts WHERE dataset = ?", [dataset]
        ).df()
    finally:
        con.close()
    return frame.set_index(["indicator", "territory_code", "period"])


# The suppression ----------------------------------------------------------------------------


def test_only_the_counts_of_people_are_protected(ac_db):
    cells = _cells(ac_db)
    assert set(cells.index.get_level_values("indicator")) == PEOPLE_COUNTS
    assert AIDANTS not in PEOPLE_COUNTS  # professionals, published by ANCT per structure


def test_a_small_commune_is_hidden_and_its_ept_cannot_reveal_it(ac_db):
    cells = _cells(ac_db)
    for period in ("2024", protect_need.LATEST):
        bondy = cells.loc[(USAGERS, BONDY, period)]
        assert (bondy["value"], bondy["status"]) == (3, "primaire")
        # Est Ensemble (Bobigny, Bondy, Montreuil) is published: Montreuil, the smallest
        # other non-zero part, is hidden too, so that the EPT minus Bobigny gives only
        # Bondy + Montreuil.
        assert cells.loc[(USAGERS, EST_ENSEMBLE, period), "status"] == "publie"
        assert cells.loc[(USAGERS, MONTREUIL, period), "status"] == "secondaire"
        assert cells.loc[(USAGERS, BOBIGNY, period), "status"] == "publie"
    assert cells.loc[(DEMARCHES, BONDY, "2024"), "status"] == "primaire"  # 4 démarches
    # Sevran's 2 (2023) is its latest value too: hidden in both, with a partner in its EPT.
    assert cells.loc[(USAGERS, SEVRAN, "2023"), "status"] == "primaire"
    assert cells.loc[(USAGERS, SEVRAN, protect_need.LATEST), "status"] == "primaire"
    assert cells.loc[(USAGERS, COUBRON, protect_need.LATEST), "status"] == "secondaire"
    # Every cell with a value is stored, zeros included; a commune without one is not.
    assert (USAGERS, "93005", "2024") not in cells.index


def test_demonstration_and_real_datasets_follow_the_help_side(ac_db):
    """As etl/protect.py's `reel` / `tout`: the pattern is decided on the real values, a
    `tout` cell takes its `reel` cell's status (the demonstration generator is public, so a
    `tout` value tells what its `reel` value tells), and demonstration-only cells are public."""
    con = duckdb.connect(str(ac_db))
    try:
        con.execute(
            "INSERT INTO indicator_values VALUES "
            f"('{BONDY}', '{USAGERS}', 2024, 10, NULL, true, 99), "
            f"('{AUBERVILLIERS[:-1]}5', '{USAGERS}', 2024, 2, NULL, true, 99)"
        )
        cells = protect_need.cells(con, T).set_index(
            ["dataset", "indicator", "territory_code", "period"]
        )
    finally:
        con.close()
    reel, tout = cells.loc["reel"], cells.loc["tout"]
    # A demonstration value never adds to a real one (the real 3 stays the figure)…
    assert tout.loc[(USAGERS, BONDY, "2024"), "value"] == 3
    assert tout.loc[(USAGERS, BONDY, "2024"), "status"] == "primaire"
    # …and a commune without real values shows its demonstration one, public (the EPT's real
    # part is still its reel cell, hidden alike).
    assert tout.loc[(USAGERS, "93005", "2024"), "status"] == "publie"  # demonstration only
    assert (USAGERS, "93005", "2024") not in reel.index
    assert tout.loc[(USAGERS, "93005", "2024"), "value"] == 2
    shared = reel.index.intersection(tout.index)
    real_cells = reel.loc[shared, "value"] != 0
    assert (reel.loc[shared, "status"][real_cells] == tout.loc[shared, "status"][real_cells]).all()


def _unknowns(db: Path):
    """The attacker's unknowns: one value per commune, indicator and year (what every cell
    sums), with the published cells as linear forms over them."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        values = con.execute(
            """SELECT v.commune_code, c.ept_code, v.indicator,
                      coalesce(CAST(v.year AS VARCHAR), '-') AS period, v.value
               FROM indicator_values v JOIN communes c ON c.code = v.commune_code
               WHERE list_contains(?, v.indicator) AND NOT v.is_demo""",
            [sorted(PEOPLE_COUNTS)],
        ).df()
        cells = con.execute("SELECT * FROM public_indicator_counts WHERE dataset = 'reel'").df()
    finally:
        con.close()
    latest = values.sort_values("period").groupby(["commune_code", "indicator"]).tail(1)
    latest = set(zip(latest["commune_code"], latest["indicator"], latest["period"], strict=True))
    is_latest = np.array(
        [
            (c, i, p) in latest
            for c, i, p in zip(
                values["commune_code"], values["indicator"], values["period"], strict=True
            )
        ]
    )
    forms = []
    for cell in cells.itertuples():
        mine = values["indicator"] == cell.indicator
        if cell.level == "commune":
            mine &= values["commune_code"] == cell.territory_code
        elif cell.level == "ept":
            mine &= values["ept_code"] == cell.territory_code
        if cell.period == protect_need.LATEST:
            mine &= is_latest
        else:
            mine &= values["period"] == cell.period
        forms.append((cell, mine.to_numpy(dtype=float)))
    return values, forms


def _intervals(forms, n: int, with_values: bool):
    """(min, max) of every primary cell under what is published: the published values (when
    WITH_VALUES) and the statuses (primary in [1, T−1], secondary ≥ T, a stored 0 is 0)."""
    rows, lo, hi = [], [], []
    for cell, form in forms:
        if cell.status == "publie" and (with_values or cell.value == 0):
            rows.append(form), lo.append(cell.value), hi.append(cell.value)
        elif cell.status == "primaire":
            rows.append(form), lo.append(1), hi.append(T - 1)
        elif cell.status == "secondaire":
            rows.append(form), lo.append(T), hi.append(np.inf)
    # x (n unknowns ≥ 0) and one slack per form: form·x − s = 0, lo ≤ s ≤ hi.
    k = len(rows)
    a = np.hstack([np.array(rows), -np.eye(k)])
    bounds_lo = np.concatenate([np.zeros(n), np.array(lo, dtype=float)])
    bounds_hi = np.concatenate([np.full(n, np.inf), np.array(hi, dtype=float)])
    objectives = [
        np.concatenate([form, np.zeros(k)]) for cell, form in forms if cell.status == "primaire"
    ]
    return intervals(a, np.zeros(k), bounds_lo, bounds_hi, objectives)


def test_no_subtraction_of_the_published_cells_narrows_a_small_count(ac_db):
    """Everything published for these indicators (every commune, EPT and the département, in
    every year and as each commune's latest value) lets a lecteur pin no small count closer
    than its status alone does (« < 5 »: [1, 4])."""
    values, forms = _unknowns(ac_db)
    primaries = [cell for cell, _ in forms if cell.status == "primaire"]
    assert len(primaries) >= 4  # Bondy's usagers and démarches, Sevran's, each twice
    full = _intervals(forms, len(values), with_values=True)
    alone = _intervals(forms, len(values), with_values=False)
    for cell, (low, high), (ref_low, ref_high) in zip(primaries, full, alone, strict=True):
        assert low <= max(1, ref_low) + 1e-6 and high >= min(T - 1, ref_high) - 1e-6, (
            cell,
            low,
            high,
        )


def test_without_the_secondaries_the_attacker_would_find_it(ac_db):
    """The audit has teeth: publishing Montreuil's usagers gives Bondy's 3 as the EPT minus
    its two other communes."""
    values, forms = _unknowns(ac_db)
    opened = [
        (cell._replace(status="publie") if cell.status == "secondaire" else cell, form)
        for cell, form in forms
    ]
    primaries = [cell for cell, _ in opened if cell.status == "primaire"]
    full = _intervals(opened, len(values), with_values=True)
    found = {
        (c.indicator, c.territory_code, c.period): (low, high)
        for c, (low, high) in zip(primaries, full, strict=True)
    }
    assert found[(USAGERS, BONDY, "2024")] == pytest.approx((3, 3))


# The reading side ---------------------------------------------------------------------------


def test_a_lecteur_reads_the_map_from_the_protected_cells(ac_db):
    catalogue = map_choices.need_catalogue(warehouse.need_indicators())
    choices = map_choices.MapChoices.from_query(
        {"indicateur": "besoin", "detail": USAGERS}, catalogue
    )
    frame = warehouse.need_values(Filters(), "commune", USAGERS).set_index("code")
    assert np.isnan(frame.at[BONDY, "value"]) and frame.at[BONDY, "mask_text"] == "< 5"
    assert np.isnan(frame.at[MONTREUIL, "value"]) and frame.at[MONTREUIL, "mask_text"] == "secret"
    assert frame.at[BOBIGNY, "value"] == 80 and pd.isna(frame.at[BOBIGNY, "mask_text"])
    assert np.isnan(frame.at["93005", "value"])  # pas de données, not masked
    view = map_choices.prepare(frame.reset_index(), choices)
    masked = dict(zip(view.table["code"], view.table["masked"], strict=True))
    assert masked[BONDY] and masked[MONTREUIL] and not masked[BOBIGNY]
    assert view.counts == "protected"
    assert 3 not in set(view.table["value"].dropna())

    epts = warehouse.need_values(Filters(), "ept", USAGERS).set_index("code")
    assert epts.at[EST_ENSEMBLE, "value"] == 95 and epts.at[EST_ENSEMBLE, "status"] == "publie"
    # Est Ensemble without Bobigny is no stored cell and holds a hidden one: masked.
    some = Filters(ept=EST_ENSEMBLE, communes=(BONDY, MONTREUIL))
    part = warehouse.need_values(some, "ept", USAGERS).set_index("code")
    assert np.isnan(part.at[EST_ENSEMBLE, "value"])
    assert part.at[EST_ENSEMBLE, "status"] == "masque"
    # Sevran and Coubron show their 2023 values, as an interne's page does.
    assert frame.at[COUBRON, "mask_text"] == "secret" and frame.at[COUBRON, "year"] == 2023


def test_a_lecteur_reads_aide_et_besoins_and_the_sheet_from_the_protected_cells(ac_db):
    communes = warehouse.need_by_territory("commune", USAGERS).set_index("code")
    assert np.isnan(communes.at[BONDY, "value"]) and communes.at[BONDY, "mask_text"] == "< 5"
    assert communes.at[BOBIGNY, "value"] > 0
    epts = warehouse.need_by_territory("ept", USAGERS).set_index("code")
    assert epts.at[EST_ENSEMBLE, "status"] == "publie"
    allocation = warehouse.allocation_need(Filters(), USAGERS).set_index("code")
    assert np.isnan(allocation.at[BONDY, "need"]) and np.isnan(
        allocation.at[BONDY, "indicator_value"]
    )
    assert allocation.at[BONDY, "need_mask_text"] == "< 5"
    # Other indicators read as they always did: no status column, exact values.
    aidants = warehouse.need_by_territory("commune", AIDANTS).set_index("code")
    assert "status" not in aidants and aidants.at[BONDY, "value"] > 0


def test_an_interne_sees_the_exact_values(ac_db, monkeypatch):
    internal(monkeypatch)
    frame = warehouse.need_values(Filters(), "commune", USAGERS).set_index("code")
    assert frame.at[BONDY, "value"] == 3 and "mask_text" not in frame
    by_territory = warehouse.need_by_territory("commune", USAGERS).set_index("code")
    assert by_territory.at[BONDY, "value"] > 0 and "status" not in by_territory


@pytest.fixture
def ac_app(ac_db):
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=60)


def test_aide_et_besoins_masks_a_small_need_for_a_lecteur_only(ac_app, monkeypatch):
    at = _need_page(ac_app, aide="postes", besoin=USAGERS)
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [n for trace in figure["data"] for n in trace.get("text", [])]
    assert "Bondy" not in names and "Montreuil" not in names
    reading = next(m.value for m in at.markdown if m.value.startswith("**Lecture**"))
    assert "besoin masqué : Bondy" in reading.replace("\\", "")
    assert any("besoin masqué" in c.value for c in at.caption)

    internal(monkeypatch)
    at = _need_page(ac_app, aide="postes", besoin=USAGERS)
    reading = next(m.value for m in at.markdown if m.value.startswith("**Lecture**"))
    assert "besoin masqué" not in reading


def test_the_sheet_reads_a_hidden_count_as_masked(ac_db):
    from observatoire import sheet

    def rows(level: str, code: str):
        frame = warehouse.need_by_territory(level)
        return frame[frame["code"] == code].reset_index(drop=True)

    table = sheet.needs_table(
        ("Bondy", rows("commune", BONDY)),
        ("Est Ensemble", rows("ept", EST_ENSEMBLE)),
        rows("departement", "93"),
    ).set_index("Indicateur")
    usagers = "Aidants Connect – usagers uniques accompagnés"
    assert table.at[usagers, "Bondy"] == "masqué"
    assert table.at[usagers, "Est Ensemble"] > 0  # a published EPT cell, per 1 000
    assert sheet.needs_formats(table.reset_index())["Bondy"]("masqué") == "masqué"
