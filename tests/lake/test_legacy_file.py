"""A warehouse file built before the lake (primary keys, load_id_seq, INSERT OR REPLACE era)
still loads, replaces, unloads and migrates: the migrations are versioned by number, so the
rewritten lake-compatible ones are not applied again to it."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from core import store
from etl.build import init_warehouse
from etl.load import load_file
from etl.unload import unload
from tests.lake.test_lake import EVERY_KIND, NEED

LEGACY = Path(__file__).parent / "legacy_migrations"  # 001, 010, 041 as they were


def test_a_file_with_primary_keys_keeps_working(tmp_path, monkeypatch):
    old = tmp_path / "migrations"
    shutil.copytree(store.MIGRATIONS_DIR, old)
    for path in LEGACY.glob("*.sql"):
        shutil.copy(path, old / path.name)
    db = tmp_path / "ancien.duckdb"
    monkeypatch.setattr(store, "MIGRATIONS_DIR", old)
    init_warehouse(db, with_demo=True)
    monkeypatch.undo()
    con = duckdb.connect(str(db), read_only=True)
    keys = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = "
                       "'PRIMARY KEY'").fetchone()[0]  # fmt: skip
    con.close()
    assert keys == 8
    # Today's code on it: nothing to migrate again, every kind loads, the catalogue of
    # indicators is replaced row by row (DELETE then INSERT under its primary key).
    assert init_warehouse(db, with_demo=None).migrations == []
    ids = [load_file(db, kind, path, **options).load_id for kind, path, options in EVERY_KIND]
    copy = tmp_path / "insee_bis.csv"
    copy.write_bytes((NEED / "insee_pop_age_2021.csv").read_bytes() + b"\n")
    assert load_file(db, "indicateurs", copy, source_label="autre").load_id == ids[-1] + 1
    unload(db, ids[-2], removed_by="test")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute(
            "SELECT count(*) FROM lieux WHERE load_id = ?", [ids[-2]]
        ).fetchone() == (0,)
        assert con.execute("SELECT count(DISTINCT id) = count(*) FROM indicators").fetchone() == (
            True,
        )
    finally:
        con.close()  # fmt: skip
