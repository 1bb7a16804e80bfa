"""The benchmark generator (bench/generate.py) at a tiny size: counts, coverage, ledger, CSV
that the real loader accepts in full."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from etl.build import init_warehouse
from etl.load import load_file

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generate():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


@pytest.fixture(scope="module")
def built(generate, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    db, csv = folder / "w.duckdb", folder / "d.csv"
    report = generate(db, 2_500, seed=7, csv=csv)
    return db, csv, report


def _one(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


def test_row_counts(built):
    db, _, report = built
    assert (report["distributions"], report["funding"], report["conseillers"]) == (2_500, 25, 2)
    assert _one(db, "SELECT count(*) FROM distributions")[0] == 2_500
    assert _one(db, "SELECT count(*) FROM funding")[0] == 25


def test_every_commune_and_programme_is_represented(built):
    db, _, _ = built
    missing_communes = _one(
        db,
        "SELECT count(*) FROM communes WHERE code NOT IN (SELECT commune_code FROM distributions)",
    )[0]
    missing_programmes = _one(
        db,
        "SELECT count(*) FROM programmes WHERE id NOT IN (SELECT programme_id FROM distributions)",
    )[0]
    assert (missing_communes, missing_programmes) == (0, 0)
    assert _one(db, "SELECT count(*) FROM communes")[0] >= 39


def test_records_are_valid_demo_rows_of_one_ledger_row(built):
    db, _, _ = built
    loads = _one(db, "SELECT count(*), bool_and(is_demo) FROM loads WHERE kind = 'demo'")
    assert loads == (1, True)
    bad = _one(
        db,
        """
        SELECT count(*) FROM distributions d
        JOIN programmes p ON p.id = d.programme_id
        JOIN loads l ON l.load_id = d.load_id
        WHERE NOT d.is_demo OR l.kind <> 'demo' OR d.quantity < 1
           OR d.date < p.start_date OR d.date > DATE '2025-12-31'
           OR d.item NOT IN ('tablette', 'ordinateur', 'smartphone', 'carte_sim', 'recharge',
                             'accompagnement')
        """,
    )[0]
    assert bad == 0
    # Funding at every level: département-wide, commune and EPT lines.
    levels = _one(
        db,
        "SELECT count(*) FILTER (WHERE commune_code IS NULL AND ept_code IS NULL), "
        "count(*) FILTER (WHERE commune_code IS NOT NULL), "
        "count(*) FILTER (WHERE ept_code IS NOT NULL) FROM funding",
    )
    assert all(levels)


def test_seeded_and_deterministic(generate, built, tmp_path):
    db, _, _ = built
    again = tmp_path / "again.duckdb"
    generate(again, 2_500, seed=7)
    checksum = (
        "SELECT sum(hash(date, commune_code, programme_id, item, quantity)) FROM distributions"
    )
    assert _one(again, checksum) == _one(db, checksum)
    other = tmp_path / "other.duckdb"
    generate(other, 2_500, seed=8)
    assert _one(other, checksum) != _one(db, checksum)


def test_csv_is_accepted_in_full_by_the_loader(built, tmp_path):
    _, csv, _ = built
    target = tmp_path / "load.duckdb"
    init_warehouse(target, with_demo=False)
    result = load_file(target, "distributions", csv)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2_500, 2_500, 0)
