"""Removing a load (`python -m etl unload N`): every table with a load_id, the rejects, the
summaries and target shares kept in step, the ledger line marked; who loaded is recorded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl import summary, target_shares
from etl.errors import EtlError
from etl.load import load_file
from etl.unload import describe, tables_with_load_id, unload

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "load"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "etl", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


def _snapshot(db: Path) -> dict[str, list]:
    """Every row of every table, sorted: to compare a warehouse before and after."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [
            n
            for (n,) in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' AND table_name NOT IN ('loads')"
            ).fetchall()
        ]
        return {n: sorted(map(repr, con.execute(f'SELECT * FROM "{n}"').fetchall())) for n in names}
    finally:
        con.close()


def _shares(con) -> list:
    return sorted(map(repr, con.execute("SELECT * EXCLUDE (family) FROM target_shares").fetchall()))


def test_unload_removes_every_row_of_the_load_and_keeps_derived_tables_in_step(demo_db):
    before = _snapshot(demo_db)
    loads = {
        "distributions": load_file(
            demo_db, "distributions", DATA / "distributions_rules.csv", loaded_by="a@x.fr"
        ),
        "funding": load_file(demo_db, "funding", DATA / "funding_mixed.csv", loaded_by="cli"),
        "targets": load_file(demo_db, "targets", DATA / "targets.csv", loaded_by="b@x.fr"),
    }
    assert loads["distributions"].rows_rejected > 0
    con = duckdb.connect(str(demo_db))
    assert con.execute(
        "SELECT loaded_by FROM loads WHERE load_id = ?", [loads["distributions"].load_id]
    ).fetchone() == ("a@x.fr",)
    # A future table with a load_id column is covered too, found in information_schema.
    con.execute("CREATE TABLE future_facts (x INTEGER, load_id INTEGER)")
    con.execute("INSERT INTO future_facts VALUES (1, ?), (2, 1)", [loads["funding"].load_id])
    assert "future_facts" in tables_with_load_id(con)
    con.close()

    for kind in ("distributions", "funding", "targets"):
        result = unload(demo_db, loads[kind].load_id, removed_by="g@x.fr")
        assert result.total_rows > 0
        assert "retiré" in describe(result)

    after = _snapshot(demo_db)
    after_future = after.pop("future_facts")
    assert after_future == [repr((2, 1))]  # only the funding load's row left
    # Every table is back to what it was before the loads (rejects included).
    assert after == before
    con = duckdb.connect(str(demo_db))
    assert summary.differences(con) == 0
    kept = _shares(con)
    target_shares.refresh(con)  # recomputed from scratch: the same
    assert _shares(con) == kept
    ledger = con.execute(
        "SELECT removed_by, removed_at IS NOT NULL FROM loads WHERE load_id IN (?, ?, ?)",
        [load.load_id for load in loads.values()],
    ).fetchall()
    con.close()
    assert ledger == [("g@x.fr", True)] * 3

    # The same file can be loaded again: the removed load is no longer « déjà chargé ».
    again = load_file(demo_db, "distributions", DATA / "distributions_rules.csv")
    assert not again.already_loaded and again.load_id > loads["targets"].load_id
    assert again.rows_loaded == loads["distributions"].rows_loaded


def test_reference_demo_and_boundaries_are_refused(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    kinds = dict(con.execute("SELECT kind, load_id FROM loads").fetchall())
    con.close()
    for kind in ("reference", "demo"):
        with pytest.raises(EtlError, match="ne peut pas être retiré"):
            unload(demo_db, kinds[kind], removed_by="cli")
    with pytest.raises(EtlError, match="Aucun chargement n° 999"):
        unload(demo_db, 999, removed_by="cli")


def test_twice_and_replaced_loads_are_refused(empty_db):
    first = load_file(empty_db, "distributions", DATA / "distributions_rules.csv", source_label="S")
    second = load_file(
        empty_db,
        "distributions",
        DATA / "distributions_bom_comma.csv",
        source_label="S",
        replace=True,
    )
    with pytest.raises(EtlError, match="remplacé"):
        unload(empty_db, first.load_id, removed_by="cli")
    unload(empty_db, second.load_id, removed_by="cli")
    with pytest.raises(EtlError, match="déjà retiré"):
        unload(empty_db, second.load_id, removed_by="cli")
    # After removal, the source is free again: no --replace needed.
    load_file(empty_db, "distributions", DATA / "distributions_bom_comma.csv", source_label="S")


def test_programmes_in_use_by_another_load_are_refused(empty_db):
    programmes = load_file(empty_db, "programmes", DATA / "programmes.csv", source_label="DSI")
    csv = b"date;commune;programme;item;quantite\n2022-03-01;Bobigny;pass-numerique-93;tablette;3\n"
    records = load_file(empty_db, "distributions", csv, file_name="pass.csv")
    assert records.rows_loaded == 1
    with pytest.raises(EtlError, match="pass-numerique-93"):
        unload(empty_db, programmes.load_id, removed_by="cli")
    unload(empty_db, records.load_id, removed_by="cli")
    unload(empty_db, programmes.load_id, removed_by="cli")
    con = duckdb.connect(str(empty_db), read_only=True)
    assert con.execute(
        "SELECT count(*) FROM programmes WHERE id = 'pass-numerique-93'"
    ).fetchone() == (0,)
    con.close()


def test_cli_unload_and_loaded_by_cli(demo_db):
    loaded = _run(
        "load", "distributions", str(DATA / "distributions_rules.csv"), "--db", str(demo_db)
    )
    assert loaded.returncode == 0, loaded.stderr
    con = duckdb.connect(str(demo_db), read_only=True)
    load_id, by = con.execute(
        "SELECT load_id, loaded_by FROM loads WHERE kind = 'distributions'"
    ).fetchone()
    con.close()
    assert by == "cli"
    done = _run("unload", str(load_id), "--db", str(demo_db))
    assert done.returncode == 0, done.stderr
    assert f"Chargement n° {load_id} retiré" in done.stdout
    status = _run("status", "--db", str(demo_db))
    assert status.returncode == 0 and "retiré" in status.stdout
    again = _run("unload", str(load_id), "--db", str(demo_db))
    assert again.returncode == 1 and "déjà retiré" in again.stderr
    refused = _run("unload", "1", "--db", str(demo_db))  # the reference load
    assert refused.returncode == 1 and "ne peut pas être retiré" in refused.stderr
    usage = _run("unload", "abc", "--db", str(demo_db))
    assert usage.returncode == 2


def test_migration_adds_the_columns_to_an_existing_ledger(tmp_path):
    """An older warehouse (its loads already there) gains loaded_by, removed_at, removed_by
    with NULL for the existing rows."""
    from core import store as migrations

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    migrations.applied(con)
    for version, name, path in migrations.available():
        if version < 42:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    con.execute(
        "INSERT INTO loads (load_id, kind, file_name, source_label, sha256, rows_read, "
        "rows_loaded, rows_rejected, loaded_at) VALUES (7, 'funding', 'f.csv', 'F', 'x', 1, 1, 0, now())"
    )
    assert migrations.migrate(con)[0] == "042_auth"  # later migrations follow
    assert con.execute("SELECT loaded_by, removed_at, removed_by FROM loads").fetchall() == [
        (None, None, None)
    ]
    con.close()
