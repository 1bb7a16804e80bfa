"""The attacker's audit (tests/secrecy_audit.py) of small counts of people: it catches what
today's cell-by-cell masking lets through, and finds nothing in the protected tables
(etl/protect.py), on a hand-made warehouse and on seeded random ones."""

from __future__ import annotations

import random
from datetime import date

import duckdb
import numpy as np
import pytest

from etl import summary
from observatoire import disclosure, protected, warehouse
from observatoire.filters import Filters
from tests.secrecy_audit import (
    COL,
    P1,
    P2,
    RSA,
    SSD,
    Statements,
    audit,
    base_cells,
    fill_small_warehouse,
    insert_records,
    protected_statements,
)
from tests.small_counts import BOBIGNY, MONTREUIL

T = 5


@pytest.fixture
def audit_db(empty_db, use_db, monkeypatch):
    """See tests/secrecy_audit.py `fill_small_warehouse`."""
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    con = duckdb.connect(str(empty_db))
    communes = fill_small_warehouse(con)
    con.close()
    use_db(empty_db)
    return empty_db, communes


def _figures_today(statements: Statements, filters: Filters) -> None:
    """What today's overview publishes under FILTERS: people reached, or « < 5 »."""
    base = statements.base
    value = warehouse.key_figures(filters)["people_reached"]
    mask = base.where(item=set(base.cells["item"]) - {"recharge"})
    if filters.communes:
        mask &= base.where(commune=set(filters.communes))
    if filters.ept:
        mask &= base.where(ept=filters.ept)
    months = base.cells["month"]
    if filters.date_from:
        mask &= (months >= filters.date_from.strftime("%Y-%m")).to_numpy()
    if filters.date_to:
        mask &= (months <= filters.date_to.strftime("%Y-%m")).to_numpy()
    if not filters.include_demo:
        raise NotImplementedError
    if disclosure.figure_masked("people_reached", value):
        statements.small(f"chiffre clé {filters}", mask, T)
    else:
        statements.value(mask, value, with_demo=True)


def test_before_todays_masking_is_beaten_by_subtraction(audit_db):
    """The « before » demonstration: the figures today's pages publish in public mode, cell by
    cell masked, let the attacker recompute small counts exactly."""
    db, (a, b, c, d, e) = audit_db
    con = duckdb.connect(str(db), read_only=True)
    base = base_cells(con)
    ept = con.execute("SELECT ept_code FROM communes WHERE code = ?", [a]).fetchone()[0]
    con.close()
    before = Statements(base)
    # Two commune filters minus one.
    _figures_today(before, Filters(communes=(a, b)))
    _figures_today(before, Filters(communes=(b,)))
    _figures_today(before, Filters(communes=(a,)))
    # Two date windows.
    _figures_today(before, Filters(communes=(d,)))
    _figures_today(before, Filters(communes=(d,), date_from=date(2021, 1, 1)))
    _figures_today(before, Filters(communes=(d,), date_to=date(2020, 12, 31)))
    # An EPT minus its other communes: the EPT's figure and its commune table, masked.
    _figures_today(before, Filters(ept=ept))
    table = warehouse.distributions_by_commune(Filters(ept=ept))
    table["people_reached"] = table["people_reached"].fillna(0)  # no record: 0
    hidden = disclosure.hidden(table["people_reached"])
    people = base.where(item=set(base.cells["item"]) - {"recharge"})
    for row, masked in zip(table.itertuples(), hidden, strict=True):
        mask = people & base.where(commune=row.code)
        if not masked:
            before.value(mask, row.people_reached, with_demo=True)
        elif 0 < row.people_reached < T:
            before.small(f"commune {row.code}", mask, T)
    # The cost table is not masked: people = euros / euros per person.
    costs = warehouse.funding_costs(Filters(communes=(a,)))
    for row in costs.itertuples():
        mask = people & base.where(commune=a, programme=row.programme_id)
        before.value(mask, round(row.euros / row.euros_per_person), with_demo=True)

    findings = audit(before, T)
    pinned = {f.name: (f.low, f.high, f.true) for f in findings}
    assert findings, "today's masking should be caught"
    assert any(low == high == true for low, high, true in pinned.values()), pinned


def test_after_the_protected_tables_resist_the_attacker(audit_db):
    db, _ = audit_db
    con = duckdb.connect(str(db), read_only=True)
    statuses = dict(con.execute("SELECT status, count(*) FROM public_counts GROUP BY 1").fetchall())
    assert statuses["primaire"] and statuses["secondaire"]
    statements = protected_statements(con, base_cells(con))
    con.close()
    assert statements.targets
    assert audit(statements, T) == []


def _random_warehouse(con, seed: int) -> None:
    rng = random.Random(seed)
    communes = [
        r[0]
        for r in con.execute(
            "SELECT code FROM communes WHERE ept_code IN (SELECT min(ept_code) FROM communes) "
            "ORDER BY code LIMIT 6"
        ).fetchall()
    ] + [MONTREUIL, BOBIGNY]
    rows = []
    for commune in communes:
        for _ in range(rng.randint(1, 4)):
            month = rng.choice(["2020-12", "2021-01"])
            prog, item, public = rng.choice(
                [
                    (P1, "ordinateur", SSD),
                    (P1, "accompagnement", RSA),
                    (P2, "tablette", COL),
                    (P2, "recharge", COL),
                ]
            )
            quantity = rng.choice([1, 2, 3, 4, 5, 6, 8, 12, 30])
            rows.append(
                (
                    f"{month}-1{rng.randint(0, 9)}",
                    commune,
                    prog,
                    item,
                    quantity,
                    public,
                    rng.random() < 0.25,
                )
            )
    insert_records(con, rows)
    summary.refresh(con, everything=True)


@pytest.mark.parametrize("seed", range(12))
def test_random_small_warehouses_resist_the_attacker(empty_db, monkeypatch, seed):
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    con = duckdb.connect(str(empty_db))
    _random_warehouse(con, seed)
    statements = protected_statements(con, base_cells(con))
    con.close()
    assert audit(statements, T) == []


def test_after_figures_read_through_the_protected_tables_add_nothing(audit_db):
    """The « after » demonstration: the same attacks as today (two communes minus one, two
    date windows, an EPT minus its communes), with every figure read through
    observatoire/protected.py: still nothing disclosed."""
    db, (a, b, c, d, e) = audit_db
    con = duckdb.connect(str(db), read_only=True)
    base = base_cells(con)
    ept = con.execute("SELECT ept_code FROM communes WHERE code = ?", [a]).fetchone()[0]
    statements = protected_statements(con, base)
    people = base.where(item=set(base.cells["item"]) - {"recharge"})
    attacks = [
        ("departement", Filters(communes=(a, b))),
        ("departement", Filters(communes=(b,))),
        ("departement", Filters(communes=(d,), date_from=date(2021, 1, 5))),
        ("departement", Filters(communes=(d,), date_to=date(2020, 12, 20))),
        ("departement", Filters(ept=ept)),
        ("commune", Filters(ept=ept)),
        ("ept", Filters(communes=(a, b, c, MONTREUIL))),
    ]
    shown = 0
    for level, filters in attacks:
        figures = protected.protected_counts(filters, "personnes", level, con=con)
        months = base.cells["month"]
        period = np.ones(len(months), dtype=bool)
        if figures.month_from:
            period &= (months >= figures.month_from.strftime("%Y-%m")).to_numpy()
        if figures.month_to:
            period &= (months <= figures.month_to.strftime("%Y-%m")).to_numpy()
        chosen = set(filters.communes) or set(base.cells.loc[base.where(ept=ept), "commune"])
        for row in figures.table.itertuples():
            where = base.where(commune=chosen)
            if level == "commune":
                where = base.where(commune=row.territory_code)
            elif level == "ept":
                where &= base.where(ept=row.territory_code)
            if row.status == "publie":
                statements.value(people & where & period, row.value, with_demo=True)
                shown += 1
    con.close()
    assert shown
    assert audit(statements, T) == []
