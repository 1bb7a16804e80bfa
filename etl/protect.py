"""Protected tables of counts of people: small counts stay secret against subtraction.

Design (« tableaux protégés »). Counts of people below the threshold T (settings
`small_count_threshold`) must stay hidden from public readers, also against differences
between everything published. Masking cell by cell, page by page, cannot do that (two commune
filters minus one, two date windows, an EPT minus its other communes…). So the suppression
pattern is decided ONCE per warehouse version, here, over the linked tables together, and
stored in `public_counts` (core/migrations/050_public_counts.sql); every figure a public
reader sees is derived from those stored cells only (observatoire/protected.py): dates are
coarsened to whole months, and any other selection is a sum of stored cells, shown masked
when it includes a suppressed cell unless it is exactly one cube cell.

The cube: territory (commune, EPT, département) × programme (each, or '*') × measure
(`item:<item>`; `personnes` = Σ items ≠ recharge; `equipements` = Σ items ≠ accompagnement;
`cible:<family>` for each quantity target family, under its programme and under '*', where
it has the same value) × period ('YYYY-MM', 'YYYY', '*') × dataset (`reel`, `tout` = reel +
demonstration). Only non-zero cells are stored: a missing cell is a published 0.

Primary cells: 0 < real value < T, in every measure (recharges too: one rule is simpler to
read and to audit). Secondary suppression works on the real values: the demonstration
generator is public, so a `tout` cell tells exactly what its `reel` cell tells, and the `tout`
cells get the very pattern (and statuses) of the `reel` cells; demonstration-only counts,
public by construction, are published.

Secondary suppression, in the spirit of τ-Argus / sdcTable. Relations Σ totals = Σ parts,
the other coordinates fixed: département = Σ EPT, EPT = Σ its communes; '*' = Σ programmes;
personnes = Σ items ≠ recharge, equipements = Σ items ≠ accompagnement, and what follows
from both (equipements + accompagnement = personnes + recharge: the other items cancel out
even when suppressed); a target family = its item (or all items) in its own programme;
'*' = Σ years, year = Σ its months. A family restricted to a public or an operator is a part
of its item whose complement is never published: it is suppressed wherever its item is
(published, it would raise the item's known lower bound above T).
An attacker knows every published cell, that a primary lies in [1, T−1] and a secondary in
[T, ∞). In each relation:
- never exactly one suppressed cell;
- for each suppressed primary p, the other suppressed cells must let p reach both 1 and
  T−1: raising p needs cells on its side to go down or cells on the other side to go up, so
  Σ_same room_down + Σ_other room_up ≥ T − 1 − p, and symmetrically ≥ p − 1 to lower it.
A cell's room is first its own bounds (v − lb down, ub − v up), then, in a second phase, what
all its relations can compensate, propagated to a fixpoint (a partner that cannot move in
its other relations lends no room: chains of relations, which one relation alone does not
see). While a relation breaks a rule, its smallest non-zero published cell is suppressed too
(parts before totals; zeros are never partners). Everything is vectorised over the
instances of each relation that hold a suppressed cell; no Python loop over cells.

The rules are local; tests/test_secrecy_audit.py checks the result as a whole, by linear
programming over everything published: no small count may be narrowed by the published
values beyond what the statuses alone tell (with zeros published, a small total whose only
non-zero parts are two small counts is known to be at least 2, whatever is suppressed).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core.settings import get_settings

DEPARTEMENT = "93"
ALL = "*"
# The finest level of the summary the cube is built from, and the cube cells by GROUPING SETS.
_CELLS_SQL = """
WITH fam AS (
    SELECT DISTINCT hash(programme_id, indicator, item, public, operator, funder) AS family,
           programme_id, item, public, operator
    FROM targets WHERE indicator = 'quantite'
),
base AS (
    SELECT strftime(d.date, '%Y') AS year, strftime(d.date, '%Y-%m') AS month,
           d.commune_code, c.ept_code, d.programme_id, d.item, d.public, d.operator,
           d.is_demo, d.quantity
    FROM distribution_months d JOIN communes c ON c.code = d.commune_code
),
measured AS (
    SELECT *, 'item:' || item AS measure FROM base
    UNION ALL SELECT *, 'personnes' FROM base WHERE item <> 'recharge'
    UNION ALL SELECT *, 'equipements' FROM base WHERE item <> 'accompagnement'
    UNION ALL
    SELECT b.*, 'cible:' || f.family
    FROM base b JOIN fam f ON f.programme_id = b.programme_id
        AND (f.item IS NULL OR b.item = f.item)
        AND (f.public IS NULL OR b.public = f.public)
        AND (f.operator IS NULL OR b.operator = f.operator)
)
SELECT measure,
       coalesce(commune_code, ept_code, '93') AS territory_code,
       coalesce(programme_id, '*') AS programme_id,
       coalesce(month, year, '*') AS period,
       coalesce(sum(quantity) FILTER (WHERE NOT is_demo), 0)::DOUBLE AS reel,
       sum(quantity)::DOUBLE AS tout
FROM measured
GROUP BY measure,
         GROUPING SETS ((commune_code, ept_code), (ept_code), ()),
         GROUPING SETS ((programme_id), ()),
         GROUPING SETS ((year, month), (year), ())
"""
_BIG = 1e12  # "unbounded" slack, finite so that sums and differences stay exact


@dataclass
class Relation:
    """Σ totals = Σ parts along `axis` (indices on that axis), for every other coordinate,
    or only where each axis of `fixed` has its index ((axis, index) pairs). Most relations
    have one total."""

    axis: int
    totals: list[int]
    parts: list[int]
    fixed: tuple[tuple[int, int], ...] = ()


@dataclass
class Cube:
    """Dense arrays over (territory, programme, measure, period), with their labels."""

    territories: list[tuple[str, str]]  # (level, code)
    programmes: list[str]
    measures: list[str]
    periods: list[str]
    reel: np.ndarray
    tout: np.ndarray
    relations: list[Relation]
    # Sub-count target families (a public or an operator): (family, its items, programme).
    followers: list[tuple[int, list[int], int]]


def _index(labels: list) -> dict:
    return {label: i for i, label in enumerate(labels)}


def build_cube(con: duckdb.DuckDBPyConnection) -> Cube:
    """The cube's values (aggregated by DuckDB) and the relations between its cells."""
    cells = con.execute(_CELLS_SQL).df()
    communes = con.execute("SELECT code, ept_code FROM communes ORDER BY code").df()
    families = con.execute(
        """SELECT DISTINCT 'cible:' || hash(programme_id, indicator, item, public, operator,
                  funder) AS measure, programme_id, item, public, operator
           FROM targets WHERE indicator = 'quantite' ORDER BY 1"""
    ).df()
    epts = sorted(communes["ept_code"].unique())
    territories = (
        [("commune", c) for c in communes["code"]]
        + [("ept", e) for e in epts]
        + [("departement", DEPARTEMENT)]
    )
    t_index = {code: i for i, (_, code) in enumerate(territories)}
    programmes = sorted(set(cells["programme_id"]) - {ALL}) + [ALL]
    items = sorted(m for m in set(cells["measure"]) if m.startswith("item:"))
    measures = items + ["personnes", "equipements"] + list(families["measure"])
    months = sorted(p for p in set(cells["period"]) if len(p) == 7)
    years = sorted({m[:4] for m in months})
    periods = months + years + [ALL]
    p_index, m_index, r_index = _index(programmes), _index(measures), _index(periods)

    shape = (len(territories), len(programmes), len(measures), len(periods))
    reel, tout = np.zeros(shape), np.zeros(shape)
    cells = cells[cells["measure"].isin(m_index)]
    where = (
        cells["territory_code"].map(t_index).to_numpy(),
        cells["programme_id"].map(p_index).to_numpy(),
        cells["measure"].map(m_index).to_numpy(),
        cells["period"].map(r_index).to_numpy(),
    )
    reel[where] = cells["reel"].to_numpy()
    tout[where] = cells["tout"].to_numpy()

    relations = [Relation(0, [t_index[DEPARTEMENT]], [t_index[e] for e in epts])]
    for ept, group in communes.groupby("ept_code"):
        relations.append(Relation(0, [t_index[ept]], [t_index[c] for c in group["code"]]))
    relations.append(Relation(1, [p_index[ALL]], [p_index[p] for p in programmes[:-1]]))
    relations += _measure_relations(m_index, items, families, p_index)
    followers = _followers(m_index, items, families, p_index)
    relations.append(Relation(3, [r_index[ALL]], [r_index[y] for y in years]))
    for year in years:
        parts = [r_index[m] for m in months if m.startswith(year)]
        relations.append(Relation(3, [r_index[year]], parts))
    relations = [r for r in relations if r.parts]
    return Cube(territories, programmes, measures, periods, reel, tout, relations, followers)


def _measure_relations(m_index, items, families, p_index) -> list[Relation]:
    """Every measure is a sum of items, so the relations are the small ones between them:
    personnes = Σ items ≠ recharge, equipements = Σ items ≠ accompagnement, and what follows
    from the two (equipements + accompagnement = personnes + recharge, where the other items
    cancel out even when suppressed); a target family = its item, or all items (= personnes +
    recharge = equipements + accompagnement), in its own programme."""
    item = {m.removeprefix("item:"): m_index[m] for m in items}
    recharge = [item["recharge"]] if "recharge" in item else []
    accompaniment = [item["accompagnement"]] if "accompagnement" in item else []
    people, equipment = m_index["personnes"], m_index["equipements"]
    out = [
        Relation(2, [people], [i for name, i in item.items() if name != "recharge"]),
        Relation(2, [equipment], [i for name, i in item.items() if name != "accompagnement"]),
        Relation(2, [equipment, *accompaniment], [people, *recharge]),
    ]
    for row in families.itertuples():
        if pd.notna(row.public) or pd.notna(row.operator) or row.programme_id not in p_index:
            continue  # a sub-count of an item: its complement is never published
        fixed = ((1, p_index[row.programme_id]),)
        family = [m_index[row.measure]]
        if pd.notna(row.item):
            out.append(Relation(2, family, [item[row.item]] if row.item in item else [], fixed))
            continue
        out.append(Relation(2, family, list(item.values()), fixed))
        out.append(Relation(2, family, [people, *recharge], fixed))
        out.append(Relation(2, family, [equipment, *accompaniment], fixed))
    return out


def _instances(shape: tuple, rel: Relation) -> np.ndarray:
    """Flat indices of the relation's cells, one instance per row: (instances, cells)."""
    view = np.arange(int(np.prod(shape))).reshape(shape)
    for axis, index in rel.fixed:
        view = np.take(view, [index], axis=axis)
    cols = np.moveaxis(view, rel.axis, -1)[..., [*rel.totals, *rel.parts]]
    return np.ascontiguousarray(cols.reshape(-1, cols.shape[-1]))


def _room(rel: Relation, s: np.ndarray, up: np.ndarray, down: np.ndarray):
    """How far the other suppressed cells of each instance let each cell go up and down:
    going up needs cells on its side to go down or cells on the other side to go up."""
    total_side = np.zeros(s.shape[1], dtype=bool)
    total_side[: len(rel.totals)] = True
    up, down = np.where(s, up, 0.0), np.where(s, down, 0.0)
    up_t, up_p = up[:, total_side].sum(1), up[:, ~total_side].sum(1)
    down_t, down_p = down[:, total_side].sum(1), down[:, ~total_side].sum(1)
    same_up = np.where(total_side, up_t[:, None], up_p[:, None]) - up
    same_down = np.where(total_side, down_t[:, None], down_p[:, None]) - down
    other_up = np.where(total_side, up_p[:, None], up_t[:, None])
    other_down = np.where(total_side, down_p[:, None], down_t[:, None])
    return same_down + other_up, same_up + other_down, total_side


def _propagate(relations, active, suppressed, up, down, passes: int = 100) -> None:
    """Lower each suppressed cell's room (up, down: flat, from its own bounds at first) to
    what every relation it belongs to can compensate, until stable: a cell whose partners
    cannot move cannot move either (chains of relations, which one relation alone does not
    see). `active`: each relation's instances that hold a suppressed cell."""
    for _ in range(passes):
        changed = False
        for rel, index in zip(relations, active, strict=True):
            s, u, d = suppressed[index], up[index], down[index]
            can_up, can_down, _ = _room(rel, s, u, d)
            new_u = np.where(s, np.minimum(u, can_up), u)
            new_d = np.where(s, np.minimum(d, can_down), d)
            if (new_u < u).any() or (new_d < d).any():
                changed = True
                up[index], down[index] = new_u, new_d
        if not changed:
            return


def _step(rel, index, values, suppressed, up, down, threshold: int) -> int:
    """Suppress, in every instance of one relation that breaks a rule, its smallest non-zero
    published cell (parts first). All arrays flat; `index`: the relation's instances that
    hold a suppressed cell. Returns the number of cells added."""
    v, s = values[index], suppressed[index]
    can_up, can_down, total_side = _room(rel, s, up[index], down[index])
    primary = (v > 0) & (v < threshold)
    broken = s & primary & ((can_up < threshold - 1 - v) | (can_down < v - 1))
    bad = broken.any(1) | (s.sum(1) == 1)
    if not bad.any():
        return 0
    key = np.where(~s & (v > 0), v + np.where(total_side, _BIG, 0.0), np.inf)
    rows = np.flatnonzero(bad & np.isfinite(key.min(1)))
    suppressed[index[rows, key[rows].argmin(1)]] = True
    return int(rows.size)


def _followers(m_index, items, families, p_index) -> list[tuple[int, list[int], int]]:
    """A family restricted to a public or an operator is a part of its item (of every item)
    whose complement is never published: published while its item is suppressed, it would
    tell a lower bound of the item, tighter than T. So it is suppressed wherever one of its
    items is (in its programme)."""
    out = []
    for row in families.itertuples():
        if (pd.isna(row.public) and pd.isna(row.operator)) or row.programme_id not in p_index:
            continue
        its = [m_index[m] for m in items if pd.isna(row.item) or m == f"item:{row.item}"]
        if its:
            out.append((m_index[row.measure], its, p_index[row.programme_id]))
    return out


def _follow(values, suppressed, followers) -> int:
    added = 0
    for family, its, programme in followers:
        new = (
            suppressed[:, programme, its, :].any(axis=1)
            & (values[:, programme, family, :] > 0)
            & ~suppressed[:, programme, family, :]
        )
        suppressed[:, programme, family, :] |= new
        added += int(new.sum())
    return added


def suppress(cube: Cube, threshold: int) -> np.ndarray:
    """The suppression pattern (primary and secondary) of the cube's real values: iterated
    over every relation to a fixpoint."""
    values = cube.reel.ravel()
    primary = (values > 0) & (values < threshold)
    suppressed = primary.copy()
    up = np.where(primary, threshold - 1 - values, _BIG)
    down = np.where(primary, values - 1, values - threshold)
    instances = [_instances(cube.reel.shape, rel) for rel in cube.relations]
    # First relation by relation, each cell's room its own bounds (cheap), then with the
    # room propagated along chains of relations (dearer, far fewer rounds left).
    for chains in (False, True):
        while True:
            active = [index[suppressed[index].any(1)] for index in instances]
            room_up, room_down = up.copy(), down.copy()
            if chains:
                _propagate(cube.relations, active, suppressed, room_up, room_down)
            added = sum(
                _step(rel, index, values, suppressed, room_up, room_down, threshold)
                for rel, index in zip(cube.relations, active, strict=True)
            )
            shaped = suppressed.reshape(cube.reel.shape)  # a view
            added += _follow(cube.reel, shaped, cube.followers)
            if not added:
                break
    return suppressed.reshape(cube.reel.shape)


def _table(
    cube: Cube,
    values: np.ndarray,
    dataset: str,
    status: np.ndarray,
    stored: np.ndarray | None = None,
) -> pd.DataFrame:
    """The cells of one dataset as rows: the STORED ones (default: the non-zero ones)."""
    where = np.nonzero(values if stored is None else stored)
    levels = np.array([level for level, _ in cube.territories], dtype=object)
    codes = np.array([code for _, code in cube.territories], dtype=object)
    return pd.DataFrame(
        {
            "dataset": dataset,
            "level": levels[where[0]],
            "territory_code": codes[where[0]],
            "programme_id": np.array(cube.programmes, dtype=object)[where[1]],
            "measure": np.array(cube.measures, dtype=object)[where[2]],
            "period": np.array(cube.periods, dtype=object)[where[3]],
            "value": values[where].astype(np.int64),
            "status": status[where],
        }
    )


def refresh(con: duckdb.DuckDBPyConnection, threshold: int | None = None) -> None:
    """Recompute public_counts and public_counts_meta from the monthly summary, inside the
    caller's transaction (etl/summary.py also has the counts of people loaded as indicators
    recomputed, by etl/protect_need.py, which builds its cube with this module's engine)."""
    _refresh_counts(con, threshold)


def _refresh_counts(con: duckdb.DuckDBPyConnection, threshold: int | None) -> None:
    """public_counts and public_counts_meta (nothing to do on a warehouse not yet migrated
    to them)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'public_counts'"
    ).fetchone()[0]
    if not exists:
        return
    threshold = threshold or get_settings().small_count_threshold
    cube = build_cube(con)
    suppressed = suppress(cube, threshold)
    status = np.full(cube.reel.shape, "publie", dtype=object)
    status[suppressed] = "secondaire"
    status[(cube.reel > 0) & (cube.reel < threshold)] = "primaire"
    frame = pd.concat(
        [
            _table(cube, cube.reel, "reel", status),
            _table(cube, cube.tout, "tout", np.where(cube.reel != 0, status, "publie")),
        ],
        ignore_index=True,
    )
    months = [p for p in cube.periods if len(p) == 7]
    hashed = int(pd.util.hash_pandas_object(frame, index=False).to_numpy().sum(dtype=np.uint64))
    fingerprint = f"{threshold}:{len(frame)}:{hashed:x}"
    # The data's version, not the clock: unloading a load brings the previous one back.
    built_at = con.execute(
        """SELECT max(loaded_at) FROM loads WHERE load_id IN
               (SELECT load_id FROM distribution_months UNION SELECT load_id FROM targets)"""
    ).fetchone()[0]
    kept = con.execute("SELECT fingerprint, built_at FROM public_counts_meta").fetchall()
    if kept == [(fingerprint, built_at)]:
        return  # the same cells from the same data: nothing to rewrite
    con.execute("DELETE FROM public_counts")
    con.register("_public_counts_new", frame)
    try:
        con.execute("INSERT INTO public_counts BY NAME SELECT * FROM _public_counts_new")
    finally:
        con.unregister("_public_counts_new")
    con.execute("DELETE FROM public_counts_meta")
    con.execute(
        "INSERT INTO public_counts_meta VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            threshold,
            built_at,
            months[0] if months else None,
            months[-1] if months else None,
            len(frame),
            int((frame["status"] != "publie").sum()),
            fingerprint,
        ],
    )
