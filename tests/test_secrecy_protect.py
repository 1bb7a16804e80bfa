"""The protected tables as the ETL builds them (etl/protect.py): statuses, the two datasets,
the local rules, and kept in step by migrations."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from core import store
from etl import protect
from etl.build import init_warehouse
from tests.secrecy_audit import fill_small_warehouse

T = 5


@pytest.fixture
def con(empty_db, monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    con = duckdb.connect(str(empty_db))
    fill_small_warehouse(con)
    yield con
    con.close()


def test_statuses_follow_the_real_values(con):
    cells = con.execute("SELECT * FROM public_counts").df()
    assert (cells["value"] != 0).all()  # a missing cell is a published 0
    real = cells[cells["dataset"] == "reel"]
    small = (real["value"] > 0) & (real["value"] < T)
    assert ((real["status"] == "primaire") == small).all()
    assert (real.loc[~small, "status"].isin(["publie", "secondaire"])).all()
    assert (real["status"] == "secondaire").any()
    keys = ["level", "territory_code", "programme_id", "measure", "period"]
    both = real.merge(cells[cells["dataset"] == "tout"], on=keys, suffixes=("_r", "_t"))
    assert (both["status_r"] == both["status_t"]).all()  # one pattern for both datasets
    meta = con.execute("SELECT threshold, cells, suppressed FROM public_counts_meta").fetchone()
    assert meta == (T, len(cells), int((cells["status"] != "publie").sum()))


def test_no_relation_is_left_with_a_single_suppressed_cell(con):
    cube = protect.build_cube(con)
    suppressed = protect.suppress(cube, T).ravel()
    for rel in cube.relations:
        index = protect._instances(cube.reel.shape, rel)
        assert (suppressed[index].sum(1) != 1).all(), rel


def test_refresh_is_idempotent_and_follows_the_threshold(con):
    before = con.execute("SELECT * FROM public_counts ORDER BY ALL").fetchall()
    protect.refresh(con)
    assert con.execute("SELECT * FROM public_counts ORDER BY ALL").fetchall() == before
    protect.refresh(con, threshold=10)
    assert con.execute("SELECT threshold FROM public_counts_meta").fetchone() == (10,)
    assert con.execute(
        "SELECT count(*) FROM public_counts WHERE value < 10 AND status = 'publie' "
        "AND dataset = 'reel'"
    ).fetchone() == (0,)


def test_a_migrated_warehouse_gets_its_protected_tables(demo_db):
    con = duckdb.connect(str(demo_db))
    con.execute("DROP TABLE public_counts")
    con.execute("DROP TABLE public_counts_meta")
    con.execute("DELETE FROM schema_migrations WHERE version = 50")
    con.close()
    report = init_warehouse(demo_db, with_demo=None)
    assert "050_public_counts" in report.migrations
    con = duckdb.connect(str(demo_db))
    assert con.execute("SELECT count(*) FROM public_counts").fetchone()[0] > 0
    assert store.pending(store.applied(con)) == []
    con.close()


def test_suppress_on_a_synthetic_cube():
    """Three crossed hierarchies whose totals add up: no relation keeps a lone secret."""
    rng = np.random.default_rng(1)
    shape = (8, 3, 4, 5)
    values = rng.choice([0, 0, 1, 3, 6, 20], size=shape).astype(float)
    relations = [
        protect.Relation(0, [7], list(range(7))),
        protect.Relation(1, [2], [0, 1]),
        protect.Relation(3, [4], [0, 1, 2, 3]),
    ]
    # Make the totals add up.
    values[7] = values[:7].sum(0)
    values[:, 2] = values[:, :2].sum(1)
    values[..., 4] = values[..., :4].sum(-1)
    cube = protect.Cube([], [], [], [], values, values, relations, [])
    suppressed = protect.suppress(cube, T).ravel()
    for rel in relations:
        index = protect._instances(shape, rel)
        assert (suppressed[index].sum(1) != 1).all()
