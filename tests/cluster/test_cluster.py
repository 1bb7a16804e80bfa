"""`make cluster` end to end: loads while the replicas serve, browsers through HAProxy.

One cluster for the module (conftest.py); the tests run in this order and build on each
other's loads: sessions on distinct replicas see a load made by another process; two loads at
once both commit, one after the other; a load killed in its transaction leaves the warehouse
as it was; a stopped replica's new sessions go to the others; the ledger, records and
summaries agree at the end."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import TIMEOUT_MS, wait_for_app

METRIC = "[data-testid='stMetricValue']"
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
    page.locator(METRIC).first.wait_for()
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    return context, page, cookies.get("SRV")


def first_figure(page) -> str:
    return page.locator(METRIC).first.inner_text()


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
        "([sel, old]) => { const m = document.querySelector(sel); return m && m.innerText !== old; }",
        arg=[METRIC, old],
    )
    return first_figure(page)


def replica_of(context) -> str | None:
    return {c["name"]: c["value"] for c in context.cookies()}.get("SRV")


def test_sessions_land_on_distinct_replicas_and_see_a_load_by_another_process(
    cluster, sessions, tmp_path
):
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
