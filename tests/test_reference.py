"""The warehouse built by `python -m etl init`: reference tables, programmes and targets,
migrations and demonstration data."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.settings import REFERENCE_DIR
from etl.build import init_warehouse

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def _q(db: Path, sql: str, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_communes_and_epts(empty_db):
    assert _q(empty_db, "SELECT count(*) FROM communes") == [(39,)]
    assert _q(empty_db, "SELECT count(*) FROM epts") == [(4,)]
    assert _q(empty_db, "SELECT sum(population) FROM communes") == [(1_704_316,)]
    assert _q(empty_db, "SELECT DISTINCT population_year FROM communes") == [(2023,)]
    # Every commune belongs to one of the 4 EPTs, with the documented counts.
    counts = dict(
        _q(
            empty_db,
            "SELECT e.name, count(*) FROM communes c JOIN epts e ON e.code = c.ept_code GROUP BY 1",
        )
    )
    assert counts == {
        "Plaine Commune": 8,
        "Est Ensemble": 9,
        "Paris Terres d'Envol": 8,
        "Grand Paris Grand Est": 14,
    }


def test_former_codes_map_to_current(empty_db):
    assert _q(empty_db, "SELECT current_code FROM commune_codes WHERE code = '93059'") == [
        ("93066",)
    ]
    assert _q(empty_db, "SELECT current_code FROM commune_codes WHERE code = '93066'") == [
        ("93066",)
    ]
    assert _q(empty_db, "SELECT count(*) FROM commune_codes") == [(40,)]
    assert _q(empty_db, "SELECT code FROM communes WHERE code = '93059'") == []
    names = dict(_q(empty_db, "SELECT name, current_code FROM commune_former_names"))
    assert names["Pierrefitte-sur-Seine"] == "93066"


EXPECTED_TARGETS = {
    # programme id: {(indicator, item, value)} that the brief and the releases announce
    "emmaus-connect-2020": {
        ("quantite", "ordinateur", 1100),
        ("quantite", None, 900),
        ("quantite", "accompagnement", 150),
        ("montant", None, 500_000),
        ("montant", None, 300_000),
    },
    "confinement-2020-tablettes": {
        ("quantite", "tablette", 15_000),
        ("quantite", "tablette", 2000),
    },
    "confinement-2020-sim": {
        ("quantite", "carte_sim", 1800),
        ("quantite", "carte_sim", 1400),
        ("quantite", "carte_sim", 400),
    },
    "confinement-2020-ordinateurs": {
        ("quantite", "ordinateur", 800),
        ("quantite", "ordinateur", 300),
        ("quantite", "carte_sim", 61),
    },
    "conseillers-numeriques": {("postes", None, 80)},
    "etat-2020-equipement": {("montant", None, 559_000), ("quantite", "tablette", 1850)},
    "etat-2020-reconditionnement": {("montant", None, 193_000), ("quantite", "ordinateur", 1500)},
    "quartiers-solidaires-2020": {("projets", None, 65), ("montant", None, 468_880)},
    "la-courneuve-dsil": {("montant", None, 400_000), ("quantite", "ordinateur", 3500)},
}


@pytest.mark.parametrize("programme_id", sorted(EXPECTED_TARGETS))
def test_programme_targets_present(empty_db, programme_id):
    rows = _q(
        empty_db,
        "SELECT indicator, item, target_value FROM targets WHERE programme_id = ?",
        [programme_id],
    )
    found = {(i, item, int(v)) for i, item, v in rows}
    assert EXPECTED_TARGETS[programme_id] <= found


def test_every_target_traces_to_a_press_release(empty_db):
    orphans = _q(
        empty_db,
        """SELECT t.programme_id, t.label FROM targets t LEFT JOIN sources s ON s.id = t.source
           WHERE s.id IS NULL""",
    )
    assert orphans == []
    assert _q(
        empty_db,
        "SELECT count(*) FROM programmes p LEFT JOIN sources s ON s.id = p.source WHERE s.id IS NULL",
    ) == [(0,)]


@pytest.mark.skipif(not SEEDS.exists(), reason="../shared/seeds not beside the project")
def test_target_figures_appear_in_their_release():
    """Each transcribed figure is written in the release it cites (with its French spaces)."""
    sources = {
        row["id"]: row["seed_file"]
        for row in csv.DictReader((REFERENCE_DIR / "sources.csv").open())
    }
    derived = {200_000}  # 500 000 € minus the CAF's 300 000 €, said so in the label
    for row in csv.DictReader((REFERENCE_DIR / "targets.csv").open(encoding="utf-8")):
        value = int(float(row["target_value"]))
        if value in derived:
            continue
        text = (SEEDS / sources[row["source"]]).read_text(encoding="utf-8")
        plain = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
        assert str(value) in plain, (row["programme_id"], value)


def test_init_is_idempotent(demo_db):
    before = _q(demo_db, "SELECT count(*), sum(quantity) FROM distributions")
    report = init_warehouse(demo_db, with_demo=True)
    assert report.migrations == []
    assert report.reference_load is None and report.demo_load is None
    assert _q(demo_db, "SELECT count(*), sum(quantity) FROM distributions") == before
    # reference, demo, contours and the three shipped need-side files (IFN, places)
    assert _q(demo_db, "SELECT count(*) FROM loads WHERE replaced_at IS NULL") == [(6,)]


def test_no_demo_removes_demonstration_records(demo_db):
    assert _q(demo_db, "SELECT count(*) > 0 FROM distributions WHERE is_demo") == [(True,)]
    init_warehouse(demo_db, with_demo=False)
    for table in ("distributions", "funding", "conseillers"):
        assert _q(demo_db, f"SELECT count(*) FROM {table}") == [(0,)]
    # Upgrading (with_demo=None) does not bring them back.
    init_warehouse(demo_db, with_demo=None)
    assert _q(demo_db, "SELECT count(*) FROM distributions") == [(0,)]


def test_demo_is_flagged_deterministic_and_within_announced_totals(demo_db, tmp_path):
    assert _q(demo_db, "SELECT bool_and(is_demo) FROM distributions") == [(True,)]
    assert _q(demo_db, "SELECT bool_and(is_demo) FROM funding") == [(True,)]
    assert _q(demo_db, "SELECT bool_and(is_demo) FROM conseillers") == [(True,)]
    # Same seed, same records.
    other = tmp_path / "again.duckdb"
    init_warehouse(other, with_demo=True)
    digest = "SELECT sum(hash(date, commune_code, programme_id, item, quantity)) FROM distributions"
    assert _q(other, digest) == _q(demo_db, digest)
    # No quantity target is exceeded by the demonstration records.
    over = _q(
        demo_db,
        """SELECT t.programme_id, t.label, t.target_value, sum(d.quantity)
           FROM targets t JOIN distributions d ON d.programme_id = t.programme_id
             AND (t.item IS NULL OR d.item = t.item)
             AND (t.public IS NULL OR d.public = t.public)
             AND (t.operator IS NULL OR d.operator = t.operator)
           WHERE t.indicator = 'quantite'
           GROUP BY ALL HAVING sum(d.quantity) > t.target_value""",
    )
    assert over == []
    over_money = _q(
        demo_db,
        """SELECT t.programme_id, t.target_value, sum(f.amount_eur)
           FROM targets t JOIN funding f ON f.programme_id = t.programme_id
             AND (t.funder IS NULL OR f.funder = t.funder)
           WHERE t.indicator = 'montant' GROUP BY ALL HAVING sum(f.amount_eur) > t.target_value""",
    )
    assert over_money == []
    assert _q(demo_db, "SELECT sum(posts) <= 80 FROM conseillers") == [(True,)]
    # Dates stay within each programme's period.
    outside = _q(
        demo_db,
        """SELECT d.programme_id, min(d.date), max(d.date) FROM distributions d
           JOIN programmes p ON p.id = d.programme_id
           WHERE d.date < p.start_date OR d.date > coalesce(p.end_date, DATE '2021-12-31')
           GROUP BY 1""",
    )
    assert outside == []
    assert _q(demo_db, "SELECT max(date) <= ? FROM distributions", [date.today()]) == [(True,)]
