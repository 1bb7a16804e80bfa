"""The dashboard's kept read-only connection: reused between queries, let go when idle or
when a writer waits, so that loads from another process still go through."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from observatoire import warehouse
from observatoire.filters import Filters

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "tests" / "data" / "load" / "distributions_cp1252.csv"


def test_connection_is_kept_between_queries_and_let_go_when_idle(demo_db, use_db, monkeypatch):
    use_db(demo_db)
    monkeypatch.setattr(warehouse.KeptReader, "IDLE_S", 0.3)
    before = warehouse.READER.opened
    for name in ("key_figures", "distributions_by_item", "territories"):
        warehouse.run(name, Filters().params())
    assert warehouse.READER.opened == before + 1
    assert warehouse.READER.is_open
    time.sleep(0.8)
    assert not warehouse.READER.is_open


def test_a_load_in_another_process_goes_through_a_busy_dashboard(empty_db, use_db):
    use_db(empty_db)
    assert warehouse.run("key_figures", Filters().params())["people_reached"][0] == 0
    loader = subprocess.Popen(
        [sys.executable, "-m", "etl", "load", "distributions", str(FILE), "--db", str(empty_db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The dashboard keeps querying all along, as busy sessions would.
    deadline = time.monotonic() + 60
    while loader.poll() is None and time.monotonic() < deadline:
        warehouse.run("key_figures", Filters().params())
        time.sleep(0.02)
    out, err = loader.communicate(timeout=10)
    assert loader.returncode == 0, err
    assert warehouse.run("key_figures", Filters().params())["people_reached"][0] > 0
