"""The commune contours committed in data/reference/: `init` and `migrate` load them when the
warehouse has none, so the first run draws the real map; contours a user loaded stay."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from etl.build import REFERENCE_CONTOURS, init_warehouse
from etl.cli import main
from tests.conftest import SHARED_REFERENCE, drop_contours

ROOT = Path(__file__).resolve().parents[1]


def _contours(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT level, count(*) FROM boundaries GROUP BY level").fetchall())
    finally:
        con.close()


def _sources(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT DISTINCT source FROM boundaries").fetchall()}
    finally:
        con.close()


def test_committed_file_holds_the_39_current_communes():
    collection = json.loads(REFERENCE_CONTOURS.read_text(encoding="utf-8"))
    codes = {f["properties"]["code"] for f in collection["features"]}
    assert len(codes) == 39 and "93066" in codes and "93059" not in codes
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`communes-93.geojson`" in readme and "IGN ADMIN EXPRESS COG édition 2018" in readme


def test_fresh_init_loads_the_contours(tmp_path):
    db = tmp_path / "w.duckdb"
    report = init_warehouse(db, with_demo=False)
    assert report.contours_load is not None
    assert _contours(db) == {"commune": 39, "ept": 4}
    assert _sources(db) == {
        "IGN ADMIN EXPRESS COG édition 2018, simplifié ; géographie 2025 (Licence Ouverte)"
    }
    assert init_warehouse(db, with_demo=False).contours_load is None  # idempotent


def test_migrate_loads_them_into_a_warehouse_without_contours(empty_db, capsys):
    drop_contours(empty_db)
    assert _contours(empty_db) == {}
    assert main(["migrate", "--db", str(empty_db)]) == 0
    assert "contours des communes" in capsys.readouterr().out
    assert _contours(empty_db) == {"commune": 39, "ept": 4}


def test_contours_a_user_loaded_are_left_untouched(empty_db, capsys):
    drop_contours(empty_db)
    user_file = SHARED_REFERENCE / "communes-93-2024.geojson"
    assert main(["boundaries", "--db", str(empty_db), "--from", str(user_file)]) == 0
    assert _sources(empty_db) == {"Fichier communes-93-2024.geojson"}
    capsys.readouterr()
    assert main(["migrate", "--db", str(empty_db)]) == 0
    assert main(["init", "--db", str(empty_db), "--no-demo"]) == 0
    assert "contours des communes" not in capsys.readouterr().out
    assert _sources(empty_db) == {"Fichier communes-93-2024.geojson"}
    assert _contours(empty_db) == {"commune": 39, "ept": 4}
