"""Safety of loads: personal data never reaches the warehouse file, a killed load leaves no
trace, two loads at once do not corrupt anything, readers wait for a load to finish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from core.store import connect
from etl.load import PAUSE_ENV, load_file

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "load"

PERSONAL_VALUES = [
    "Zorglubovitch",
    "Anastasie",
    "anastasie.zorglub@example.org",
    "06 12 34 56 78",
    "12/03/1961",
    "rue des Zinnias",
    "2610375123456",
    "Quetzalcoatlova",
    "Cunégonde",
    "cunegonde.quetzal@example.org",
    "07 11 22 33 44",
    "allée Xylophone",
    "2750575123456",
]


def _all_text(db: Path) -> str:
    """Every value of every table, as text."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return "\n".join(
            repr(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in sorted(tables)
        )
    finally:
        con.close()


def test_personal_data_is_never_stored(empty_db):
    result = load_file(empty_db, "distributions", DATA / "distributions_personal.csv")
    assert result.dropped_personal_columns == [
        "Nom",
        "Prénom",
        "Courriel",
        "Téléphone",
        "Date de naissance",
        "Adresse",
        "N° sécurité sociale",
    ]
    assert any(m.startswith("Colonnes de données personnelles supprimées") for m in result.messages)
    # Two people in the same household on the same day are two records, not a duplicate.
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    con = duckdb.connect(str(empty_db))
    con.execute("CHECKPOINT")
    con.close()
    raw = empty_db.read_bytes()
    wal = Path(str(empty_db) + ".wal")
    if wal.exists():
        raw += wal.read_bytes()
    text = _all_text(empty_db)
    for value in PERSONAL_VALUES:
        assert value.encode("utf-8") not in raw, value
        assert value not in text, value
    # The check can see strings: the rejected commune of the same row is stored.
    assert b"Gotham" in raw and "Gotham" in text


def _big_csv(path: Path, rows: int) -> Path:
    lines = ["date;commune;programme;item;quantite;nom"]
    lines += [f"2021-05-{1 + i % 28:02d};Bondy;emmaus-connect-2020;tablette;{1 + i % 9};Dupont{i}"
              for i in range(rows)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _state(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*), hash(list(t ORDER BY t)) FROM {t} AS t").fetchall()
            for t in (
                "loads",
                "distributions",
                "distribution_months",
                "distribution_days",
                "rejected_rows",
                "programmes",
                "targets",
            )
        }
    finally:
        con.close()


def _start_paused(db: Path, csv: Path, marker: Path | None, timeout: str = "30"):
    """A load in another process; with a marker, it pauses inside its transaction."""
    env = {**os.environ, "OBSERVATOIRE_LOCK_TIMEOUT": timeout}
    env.pop(PAUSE_ENV, None)
    if marker is not None:
        env[PAUSE_ENV] = str(marker)
    return subprocess.Popen(
        [sys.executable, "-m", "etl", "load", "distributions", str(csv), "--db", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the load ended before its pause: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the load never reached its pause")
        time.sleep(0.05)


def test_a_killed_load_leaves_no_trace(empty_db, tmp_path):
    load_file(empty_db, "distributions", DATA / "distributions_cp1252.csv")
    before = _state(empty_db)
    marker = tmp_path / "paused"
    proc = _start_paused(empty_db, _big_csv(tmp_path / "gros.csv", 20000), marker)
    _wait_for(marker, proc)  # 20 000 rows inserted, transaction still open
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _state(empty_db) == before
    # The warehouse still opens for writing and the same file loads normally afterwards.
    result = load_file(empty_db, "distributions", tmp_path / "gros.csv")
    assert (result.rows_loaded, result.rows_rejected) == (20000, 0)


def test_a_second_load_fails_clearly_while_the_first_holds_the_warehouse(empty_db, tmp_path):
    marker = tmp_path / "paused"
    first = _start_paused(empty_db, _big_csv(tmp_path / "a.csv", 100), marker)
    _wait_for(marker, first)
    other = tmp_path / "b.csv"
    other.write_text("date;commune;programme;item;quantite\n2021-01-04;Bondy;"
                     "emmaus-connect-2020;tablette;1\n")  # fmt: skip
    busy = subprocess.run(
        [sys.executable, "-m", "etl", "load", "distributions", str(other), "--db", str(empty_db)],
        cwd=ROOT,
        env={**os.environ, "OBSERVATOIRE_LOCK_TIMEOUT": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert busy.returncode == 1
    assert (
        "est occupé (un chargement ou une lecture en cours) ; réessayez dans quelques instants."
        in busy.stderr
    )
    # A second load that may wait simply waits for the first one to commit.
    waiting = _start_paused(empty_db, other, None, timeout="60")
    time.sleep(0.5)
    marker.unlink()  # lets the first load commit
    assert first.wait(timeout=60) == 0, first.communicate()
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    con = duckdb.connect(str(empty_db), read_only=True)
    assert con.execute("SELECT count(*), sum(quantity) FROM distributions").fetchall() == [
        (101, sum(1 + i % 9 for i in range(100)) + 1)
    ]
    con.close()


def test_readers_wait_for_a_load_and_then_see_all_of_it(empty_db, tmp_path):
    marker = tmp_path / "paused"
    proc = _start_paused(empty_db, _big_csv(tmp_path / "a.csv", 500), marker)
    _wait_for(marker, proc)
    threading.Timer(1.0, marker.unlink).start()
    started = time.monotonic()
    con = connect(empty_db, read_only=True, timeout_s=60)  # the dashboard's way in
    try:
        assert time.monotonic() - started >= 0.5
        assert con.execute("SELECT count(*) FROM distributions").fetchall() == [(500,)]
    finally:
        con.close()
    assert proc.wait(timeout=60) == 0


def test_a_failure_mid_load_is_rolled_back_and_said_in_french(empty_db, monkeypatch):
    """E.g. a full disk while the rows are being written: nothing of the load remains."""
    import etl.pipeline.write
    from etl.errors import EtlError

    load_file(empty_db, "distributions", DATA / "distributions_cp1252.csv")
    before = _state(empty_db)

    def disk_full(*args, **kwargs):
        raise duckdb.IOException("Could not write file: No space left on device")

    monkeypatch.setattr(etl.pipeline.write, "update_counts", disk_full)
    with pytest.raises(EtlError) as failed:
        load_file(empty_db, "distributions", DATA / "distributions_rules.csv")
    assert str(failed.value) == (
        "Le chargement de « distributions_rules.csv » a échoué et a été entièrement annulé : "
        "l'entrepôt est inchangé (détail technique : Could not write file: No space "
        "left on device)."
    )
    assert _state(empty_db) == before


def test_loading_while_this_process_holds_a_read_only_connection(empty_db):
    """DuckDB refuses a writer next to a reader in the same process (the dashboard's short
    queries during an upload): the load waits for the reader, or says the warehouse is busy."""
    import threading

    from etl.errors import WarehouseBusy

    reader = duckdb.connect(str(empty_db), read_only=True)
    try:
        with pytest.raises(WarehouseBusy, match="occupé"):
            load_file(empty_db, "distributions", DATA / "distributions_cp1252.csv", timeout_s=0.5)
    finally:
        reader.close()
    reader = duckdb.connect(str(empty_db), read_only=True)
    threading.Timer(0.5, reader.close).start()
    assert load_file(empty_db, "distributions", DATA / "distributions_cp1252.csv").rows_loaded == 4
