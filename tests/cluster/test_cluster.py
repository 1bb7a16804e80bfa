"""`make cluster` end to end: loads while the replicas serve, browsers through HAProxy.

One cluster for the module (conftest.py); the tests run in this order and build on each
other's loads: sessions on distinct replicas see a load made by another process; two loads at
once both commit, one after the other; a load killed in its transaction leaves the warehouse
as it was; a stopped replica's new sessions go to the others; the ledger, records and
summaries agree at the end."""

from __future__ import annotations

import ast
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import fields
from datetime import date, timedelta
from pathlib import Path

import pytest

from core.settings import Settings
from tests.cluster.conftest import ROOT
from tests.e2e.conftest import TIMEOUT_MS, wait_for_app

METRIC = "[data-testid='stMetricValue']"
# The overview's first key figure, read from its labelled box.
LABEL = "Équipements distribués"
_FIGURE_JS = """label => {
  const box = [...document.querySelectorAll('[data-testid="stMetric"]')]
      .find(m => m.innerText.includes(label));
  const value = box && box.querySelector('[data-testid="stMetricValue"]');
  return value ? value.innerText : null;
}"""
COMMUNES = ["93005", "93048", "93066", "93008", "93001", "93010", "93027", "93070"]


def distributions_csv(path: Path, rows: int, seed: int) -> Path:
    """ROWS distinct distribution records (one per row: the public column numbers them)."""
    rng = random.Random(seed)
    lines = ["date;codgeo;programme;type_equipement;nombre;public"]
    for i in range(rows):
        day = date(2021, 1, 1) + timedelta(days=rng.randrange(300))
        commune = rng.choice(COMMUNES)
        lines.append(f"{day};{commune};emmaus-connect-2020;ordinateur;1;lot {seed} n° {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def finish(process: subprocess.Popen, timeout: float = 240) -> str:
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out
    return out


def ledger(cluster) -> str:
    """`python -m etl status`: the loads, and whether the summaries follow the records
    (it fails when they differ)."""
    return finish(cluster.etl("status"))


def open_session(browser, url: str):
    """A new visitor (own cookies) on the overview; returns (context, page, replica)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    wait_for_app(page)
    figure_box(page).wait_for()
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    return context, page, cookies.get("SRV")


def figure_box(page):
    return page.locator("[data-testid='stMetric']", has_text=LABEL).locator(METRIC)


def first_figure(page) -> str:
    return figure_box(page).inner_text()


@pytest.fixture(scope="module")
def sessions(cluster, browser):
    opened = [open_session(browser, cluster.url) for _ in range(3)]
    yield opened
    for context, _, _ in opened:
        context.close()


def wait_for_figure_change(page, old: str) -> str:
    """Reload and wait until the first key figure differs from OLD (no fixed delay)."""
    page.reload()
    wait_for_app(page)
    page.wait_for_function(
        f"([label, old]) => {{ const now = ({_FIGURE_JS})(label); return now && now !== old; }}",
        arg=[LABEL, old],
    )
    return first_figure(page)


def replica_of(context) -> str | None:
    return {c["name"]: c["value"] for c in context.cookies()}.get("SRV")


def test_sessions_land_on_distinct_replicas_and_see_a_load_by_another_process(
    cluster, sessions, tmp_path
):
    if "lake_catalog" in {f.name for f in fields(Settings)}:
        assert cluster.lake  # make cluster builds its warehouse in the DuckLake
    assert sorted(replica for _, _, replica in sessions) == ["r1", "r2", "r3"]
    before = {first_figure(page) for _, page, _ in sessions}
    assert len(before) == 1, before  # the same figure on the three replicas
    old = before.pop()

    csv = distributions_csv(tmp_path / "a.csv", 500, seed=1)
    finish(cluster.etl("load", "distributions", str(csv), "--source", "Test cluster A"))

    after = {wait_for_figure_change(page, old) for _, page, _ in sessions}
    assert len(after) == 1, after  # the new figure, the same everywhere
    for context, _, replica in sessions:
        assert replica_of(context) == replica  # each visitor stayed on its replica


def test_two_loads_at_once_both_commit_one_after_the_other(cluster, tmp_path):
    files = [distributions_csv(tmp_path / f"{n}.csv", 20_000, seed=n) for n in (2, 3)]
    loads = [
        cluster.etl("load", "distributions", str(f), "--source", f"Test cluster {f.stem}")
        for f in files
    ]
    if cluster.lake:  # while both run, the writers' lock is never held twice
        holders = _lock_holders_while(cluster, loads)
        assert max(holders) == 1, holders
    outputs = [finish(load) for load in loads]
    numbers = {
        line.split("n° ")[1].split()[0]
        for out in outputs
        for line in out.splitlines()
        if line.startswith("Chargement n° ")
    }
    assert len(numbers) == 2, outputs  # two loads, two load numbers
    assert all("20000 chargées" in out for out in outputs), outputs


def _lock_holders_while(cluster, processes) -> list[int]:
    """How many sessions hold an advisory lock (the lake's writer lock) on the catalog,
    sampled until every process has ended."""
    import psycopg

    counts = []
    with psycopg.connect(cluster.env["OBSERVATOIRE_LAKE_CATALOG"], autocommit=True) as pg:
        while any(p.poll() is None for p in processes) and len(counts) < 100_000:
            counts.append(
                pg.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                ).fetchone()[0]
            )
            time.sleep(0.01)
    return counts


def _written(cluster, before: tuple) -> bool:
    """True once the writer has put uncommitted data on disk: a new Parquet file in the lake,
    or, for the file warehouse, the file changed while no commit (write-ahead log) exists."""
    return _disk_state(cluster) != before and not _committing(cluster)


def _disk_state(cluster) -> tuple:
    if cluster.lake:
        return tuple(sorted(Path(cluster.env["OBSERVATOIRE_LAKE_DATA"]).rglob("*.parquet")))
    stat = Path(cluster.env["OBSERVATOIRE_DB"]).stat()
    return (stat.st_size, stat.st_mtime_ns)


def _committing(cluster) -> bool:
    return not cluster.lake and Path(cluster.env["OBSERVATOIRE_DB"] + ".wal").exists()


def test_load_killed_in_its_transaction_leaves_the_warehouse_unchanged(cluster, tmp_path):
    before = ledger(cluster)
    big = distributions_csv(tmp_path / "big.csv", 300_000, seed=4)
    disk = _disk_state(cluster)
    load = cluster.etl("load", "distributions", str(big), "--source", "Test cluster tué")
    deadline = time.monotonic() + 120
    while not _written(cluster, disk):
        assert load.poll() is None, "the load ended before it could be killed: " + str(
            load.communicate()[0]
        )
        assert time.monotonic() < deadline, "the load never started writing"
        time.sleep(0.005)
    load.send_signal(signal.SIGKILL)
    load.wait()
    assert ledger(cluster) == before  # same loads, same records, summaries in step
    if cluster.lake:
        # Its Parquet files are orphans, which the nightly maintenance deletes.
        orphans = set(_disk_state(cluster)) - set(disk)
        assert orphans
        finish(cluster.etl("entretien"))
        assert not orphans & set(_disk_state(cluster))
        assert ledger(cluster) == before
    # The writers' lock died with the killed process: the next load goes through.
    small = distributions_csv(tmp_path / "after.csv", 50, seed=5)
    finish(cluster.etl("load", "distributions", str(small), "--source", "Test cluster après"))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait(condition, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_stopped_replica_sends_new_sessions_to_the_others(cluster, sessions, browser):
    pid = cluster.replica_pid(2)
    os.kill(pid, signal.SIGTERM)
    _wait(lambda: _gone(pid), "replica 2 did not stop")
    _wait(lambda: cluster.haproxy_status()["r2"].startswith("DOWN"), "HAProxy still sends to r2")

    fresh = [open_session(browser, cluster.url) for _ in range(3)]
    try:
        assert {replica for _, _, replica in fresh} == {"r1", "r3"}
        figures = {first_figure(page) for _, page, _ in fresh}
        assert len(figures) == 1, figures
    finally:
        for context, _, _ in fresh:
            context.close()
    # A visitor whose replica stopped is sent to another one at the next page load.
    context, page, _ = next(s for s in sessions if s[2] == "r2")
    page.reload()
    wait_for_app(page)
    figure_box(page).wait_for()
    assert replica_of(context) in ("r1", "r3")
    assert first_figure(page) in figures

    # `make cluster` again restarts what stopped and keeps the rest.
    pids = {i: cluster.replica_pid(i) for i in (1, 3)}
    restarted = cluster.script("start")
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert {i: cluster.replica_pid(i) for i in (1, 3)} == pids
    _wait(lambda: cluster.haproxy_status()["r2"] == "UP", "replica 2 not back")


# Every user load's ledger row against its records; records no load accounts for.
_AGREEMENT = """
import sys
from observatoire import warehouse
with warehouse.READER.cursor(warehouse.db_path()) as con:
    rows = con.execute('''
        SELECT l.source_label, l.rows_loaded, count(d.load_id)
        FROM loads l LEFT JOIN distributions d USING (load_id)
        WHERE l.kind = 'distributions' GROUP BY ALL ORDER BY 1''').fetchall()
    stray = con.execute(
        'SELECT count(*) FROM distributions WHERE load_id NOT IN (SELECT load_id FROM loads)'
    ).fetchall()[0][0]
print(repr((rows, stray)))
"""


def test_ledger_records_and_summaries_agree(cluster):
    status = ledger(cluster)  # fails if the summaries differ from the records
    assert "Test cluster tué" not in status
    found = subprocess.run(
        [sys.executable, "-c", _AGREEMENT],
        cwd=ROOT,
        env=cluster.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    rows, stray = ast.literal_eval(found.stdout)
    assert stray == 0
    assert [(label, loaded) for label, loaded, _ in rows] == [
        (label, records) for label, _, records in rows
    ]
    assert [label for label, _, _ in rows] == [
        "Test cluster 2",
        "Test cluster 3",
        "Test cluster A",
        "Test cluster après",
    ]
