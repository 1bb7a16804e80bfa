"""The attacker's audit of small counts (tests/test_secrecy_audit.py).

The attacker knows every published figure, the demonstration records (their generator is
public), that a « < T » figure lies in [1, T−1] and that a « secret » one of public_counts is
at least T. The unknowns are the real counts of the finest base cells: commune × programme ×
item × month × (public, operator) class. Every published figure is a linear statement on
them; linear programming gives the interval each small count can still take. A small count
is disclosed when that interval is narrower than [1, T−1].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from etl import protect, summary
from tests.secrecy_lp import intervals
from tests.small_counts import AUBERVILLIERS, BOBIGNY, COUBRON, MONTREUIL

P1, P2 = "emmaus-connect-2020", "confinement-2020-tablettes"
SSD, RSA, COL = "usagers SSD et CAF", "allocataires RSA", "collégiens"
OTHER = "\x00autre"  # a (public, operator) value no record shows: the attacker cannot rule it out


@dataclass
class Base:
    """The base cells: their coordinates, real and demonstration values."""

    cells: pd.DataFrame
    real: np.ndarray
    demo: np.ndarray

    def where(self, **conditions) -> np.ndarray:
        """Mask of the base cells matching column=value or column=set-of-values."""
        mask = np.ones(len(self.cells), dtype=bool)
        for column, wanted in conditions.items():
            values = self.cells[column]
            if isinstance(wanted, (set, frozenset, list, tuple)):
                mask &= values.isin(list(wanted)).to_numpy()
            else:
                mask &= (values == wanted).to_numpy()
        return mask


@dataclass
class Statements:
    """What is published: equalities on sums of real base cells, and bounds on others."""

    base: Base
    rows: list[tuple[np.ndarray, float]] = field(default_factory=list)
    bounded: list[tuple[np.ndarray, float, float]] = field(default_factory=list)
    targets: list[tuple[str, np.ndarray]] = field(default_factory=list)

    def value(self, mask: np.ndarray, value: float, with_demo: bool) -> None:
        """A published sum (of real, or real and demonstration, base cells)."""
        known = float(self.base.demo[mask].sum()) if with_demo else 0.0
        self.rows.append((mask, float(value) - known))

    def bounds(self, mask: np.ndarray, low: float, high: float = np.inf) -> None:
        self.bounded.append((mask, low, high))

    def small(self, name: str, mask: np.ndarray, threshold: int) -> None:
        """A figure shown as « < T »: known to lie in [1, T−1], and checked by the audit."""
        self.bounds(mask, 1, threshold - 1)
        self.targets.append((name, mask))


def base_cells(con: duckdb.DuckDBPyConnection) -> Base:
    """Every base cell the attacker must consider, with its true values."""
    cube = protect.build_cube(con)
    facts = con.execute(
        """SELECT d.commune_code AS commune, c.ept_code AS ept, d.programme_id AS programme,
                  d.item, strftime(d.date, '%Y-%m') AS month,
                  coalesce(d.public, '') AS public, coalesce(d.operator, '') AS operator,
                  sum(d.quantity) FILTER (WHERE NOT d.is_demo) AS real,
                  sum(d.quantity) FILTER (WHERE d.is_demo) AS demo
           FROM distributions d JOIN communes c ON c.code = d.commune_code GROUP BY ALL"""
    ).df()
    communes = con.execute("SELECT code AS commune, ept_code AS ept FROM communes").df()
    classes = facts[["public", "operator"]].drop_duplicates()
    classes = pd.concat([classes, pd.DataFrame({"public": [OTHER], "operator": [OTHER]})])
    grid = (
        communes.merge(pd.DataFrame({"programme": cube.programmes[:-1]}), how="cross")
        .merge(
            pd.DataFrame({"item": [m[5:] for m in cube.measures if m.startswith("item:")]}),
            how="cross",
        )
        .merge(pd.DataFrame({"month": [p for p in cube.periods if len(p) == 7]}), how="cross")
        .merge(classes, how="cross")
    )
    keys = ["commune", "ept", "programme", "item", "month", "public", "operator"]
    grid = grid.merge(facts, on=keys, how="left").fillna({"real": 0, "demo": 0})
    return Base(
        grid[keys].reset_index(drop=True),
        grid["real"].to_numpy(float),
        grid["demo"].to_numpy(float),
    )


def cube_masks(con: duckdb.DuckDBPyConnection, base: Base):
    """(territory, programme, measure, period) → mask of base cells, for every cube cell."""
    cube = protect.build_cube(con)
    families = (
        con.execute(
            """SELECT DISTINCT 'cible:' || hash(programme_id, indicator, item, public, operator,
                  funder) AS measure, programme_id, item, public, operator
           FROM targets WHERE indicator = 'quantite'"""
        )
        .df()
        .set_index("measure")
    )
    territory = {}
    for level, code in cube.territories:
        if level == "commune":
            territory[code] = base.where(commune=code)
        elif level == "ept":
            territory[code] = base.where(ept=code)
        else:
            territory[code] = base.where()
    programme = {p: base.where() if p == "*" else base.where(programme=p) for p in cube.programmes}
    measure = {}
    item = base.cells["item"]
    for m in cube.measures:
        if m.startswith("item:"):
            measure[m] = (item == m[5:]).to_numpy()
        elif m == "personnes":
            measure[m] = (item != "recharge").to_numpy()
        elif m == "equipements":
            measure[m] = (item != "accompagnement").to_numpy()
        else:
            f = families.loc[m]
            mask = base.where(programme=f.programme_id)
            for column in ("item", "public", "operator"):
                if f[column] is not None and not pd.isna(f[column]):
                    mask &= (base.cells[column] == f[column]).to_numpy()
            measure[m] = mask
    months = base.cells["month"]
    period = {
        p: base.where() if p == "*" else (months.str.startswith(p)).to_numpy() for p in cube.periods
    }
    for t, t_mask in territory.items():
        for p, p_mask in programme.items():
            tp = t_mask & p_mask
            for m, m_mask in measure.items():
                tpm = tp & m_mask
                for r, r_mask in period.items():
                    yield (t, p, m, r), tpm & r_mask


def protected_statements(con: duckdb.DuckDBPyConnection, base: Base) -> Statements:
    """Everything public_counts publishes, in both datasets."""
    threshold = con.execute("SELECT threshold FROM public_counts_meta").fetchone()[0]
    stored = {
        (r.dataset, r.territory_code, r.programme_id, r.measure, r.period): (r.value, r.status)
        for r in con.execute("SELECT * FROM public_counts").df().itertuples()
    }
    out = Statements(base)
    for key, mask in cube_masks(con, base):
        for dataset in ("reel", "tout"):
            value, status = stored.get((dataset, *key), (0, "publie"))
            if status == "publie":
                out.value(mask, value, with_demo=dataset == "tout")
            elif status == "primaire":
                out.small(f"{dataset} {key}", mask, threshold)
            else:
                out.bounds(mask, threshold)
    return out


@dataclass
class Finding:
    name: str
    low: float
    high: float
    true: float
    labels_low: float  # what the statuses alone (and the published zeros) tell
    labels_high: float


def audit(statements: Statements, threshold: int) -> list[Finding]:
    """The small counts the published values pin to an interval narrower than [1, T−1].

    Statuses are public by design (« < T » and « secret » cells, zeros published), and
    they alone may narrow a count: a small total whose only non-zero parts are two small
    counts is at least 2, and each part at most T − 2. What the audit checks is that the
    published VALUES add nothing to that: the interval from everything published must be
    the interval from the statuses alone, intersected with [1, T − 1].
    """
    full = _intervals(statements, with_values=True)
    labels = _intervals(statements, with_values=False)
    out = []
    for (name, true, low, high), (_, _, ref_low, ref_high) in zip(full, labels, strict=True):
        if low > max(1, ref_low) + 1e-6 or high < min(threshold - 1, ref_high) - 1e-6:
            out.append(Finding(name, low, high, true, ref_low, ref_high))
    return out


def _intervals(statements: Statements, with_values: bool):
    """(name, true value, min, max) of every target, by linear programming."""
    base = statements.base
    n = len(base.real)
    # Presolve: a published 0 fixes every base cell it sums (counts are never negative).
    free = np.ones(n, dtype=bool)
    for mask, value in statements.rows:
        if value == 0:
            free &= ~mask
    index = np.cumsum(free) - 1
    unique_rows = {}
    for mask, value in statements.rows if with_values else ():
        cols = index[mask & free]
        if cols.size:
            unique_rows[cols.tobytes()] = (cols, value)
    bounded = {}
    for mask, low, high in statements.bounded:
        cols = index[mask & free]
        key = cols.tobytes()
        old = bounded.get(key, (cols, -np.inf, np.inf))
        bounded[key] = (cols, max(old[1], low), min(old[2], high))
    names = {}
    for name, mask in statements.targets:
        names.setdefault(index[mask & free].tobytes(), name)
    # Variables: the free base cells, then one per bounded form (its value).
    n_free, n_forms = int(free.sum()), len(bounded)
    a = np.zeros((len(unique_rows) + n_forms, n_free + n_forms))
    b = np.zeros(len(unique_rows) + n_forms)
    for i, (cols, value) in enumerate(unique_rows.values()):
        a[i, cols] = 1.0
        b[i] = value
    lo = np.zeros(n_free + n_forms)
    hi = np.full(n_free + n_forms, np.inf)
    objectives, found = [], []
    for j, (key, (cols, low, high)) in enumerate(bounded.items()):
        row = len(unique_rows) + j
        a[row, cols] = 1.0
        a[row, n_free + j] = -1.0
        lo[n_free + j], hi[n_free + j] = max(low, 0.0), high
        if key in names:
            c = np.zeros(n_free + n_forms)
            c[n_free + j] = 1.0
            objectives.append(c)
            found.append((names[key], float(base.real[free][cols].sum())))
    results = intervals(a, b, lo, hi, objectives)
    return [
        (name, true, low, high) for (name, true), (low, high) in zip(found, results, strict=True)
    ]


def _ept_communes(con) -> list[str]:
    """Coubron and three other communes of its EPT."""
    return [
        row[0]
        for row in con.execute(
            """SELECT code FROM communes WHERE ept_code =
                   (SELECT ept_code FROM communes WHERE code = ?)
               ORDER BY code <> ?, code LIMIT 5""",
            [COUBRON, COUBRON],
        ).fetchall()
    ]


def insert_records(con, rows) -> None:
    con.executemany(
        "INSERT INTO distributions VALUES (?, ?, ?, ?, ?, ?, 'op', ?, 99)",
        [
            (day, commune, prog, item, qty, public, demo)
            for day, commune, prog, item, qty, public, demo in rows
        ],
    )


def fill_small_warehouse(con) -> tuple[str, ...]:
    """Small counts 3, 7, 2 in communes A, B, C of one EPT (Coubron's), a commune D with 3
    then 20 people over two months, large counts elsewhere, two programmes, real and
    demonstration records, 900 € for A; returns (A, B, C, D, E)."""
    a, b, c, d, e = _ept_communes(con)
    insert_records(
        con,
        [
            ("2021-01-10", a, P1, "ordinateur", 3, SSD, False),
            ("2021-01-11", b, P1, "accompagnement", 7, RSA, False),
            ("2020-12-11", c, P2, "tablette", 2, COL, False),
            ("2020-12-12", d, P1, "ordinateur", 3, SSD, False),
            ("2021-01-12", d, P1, "ordinateur", 20, SSD, False),
            ("2020-12-13", e, P1, "ordinateur", 50, SSD, False),
            ("2021-01-12", MONTREUIL, P1, "ordinateur", 120, SSD, False),
            ("2020-12-10", BOBIGNY, P2, "tablette", 40, COL, False),
            ("2020-12-11", AUBERVILLIERS, P2, "tablette", 60, COL, False),
            ("2020-12-12", AUBERVILLIERS, P2, "recharge", 2, COL, False),
            ("2021-01-13", a, P1, "ordinateur", 10, SSD, True),
            ("2021-01-13", BOBIGNY, P2, "tablette", 5, COL, True),
            ("2020-12-13", d, P1, "ordinateur", 1, SSD, True),
        ],
    )
    con.execute(
        "INSERT INTO funding (date, funder, programme_id, commune_code, ept_code, amount_eur, "
        "scheme, is_demo, load_id) VALUES ('2020-12-01', 'État', ?, ?, NULL, 900, 'X', false, 99)",
        [P1, a],
    )
    summary.refresh(con, everything=True)  # as a load does: public_counts follows
    return a, b, c, d, e
