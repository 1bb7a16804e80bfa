"""core/store.py: the warehouse file's « writer waiting » signal and its recorded migrations
(the waits and WarehouseBusy are exercised by tests/test_load_safety.py and
tests/test_kept_reader.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb

from core import store
from core.store import writer_waiting, writer_waiting_file


def test_a_stale_writer_file_is_ignored(empty_db):
    flag = writer_waiting_file(empty_db)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    flag.write_text(dead)
    assert not writer_waiting(empty_db)
    flag.write_text(str(os.getpid()))
    assert writer_waiting(empty_db)
    flag.unlink()


def test_migrations_are_recorded(empty_db):
    versions = [v for v, _, _ in store.available()]
    assert _versions(empty_db) == [(v,) for v in versions]


def _versions(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    finally:
        con.close()


def test_pending_names_the_migrations_not_applied():
    found = store.available()
    versions = [v for v, _, _ in found]
    assert store.pending(versions) == []
    last_version, last_name, _ = found[-1]
    assert store.pending(versions[:-1]) == [f"{last_version:03d}_{last_name}"]
    assert len(store.pending([])) == len(found)
