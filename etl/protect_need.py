"""Protected cells of the counts of people loaded as indicators (Aidants Connect).

Indicators (table indicator_values, etl/need/indicators.py) are read straight from the
warehouse by the need-side pages; those of etl/need/indicators.PEOPLE_COUNTS count people
(usagers, démarches), so a public reader must see them as the help records: small counts
hidden, also against subtraction. Their cells are decided here, at every warehouse version
(called by etl/summary.refresh after protect.refresh, and after every indicator load), with
the engine of etl/protect.py, and stored in `public_indicator_counts` (migration 100).

The cube: territory (commune, EPT, département) × indicator × period, in one programme
'*'. Periods: each year of the values ('-' for values without one: need_by_territory.sql and
allocation_need.sql show the indicator's latest year) and `dernier`, each commune's latest
value as need_values.sql shows it (its EPT's cell is the sum of its communes' latest
values). Relations: département = Σ EPT, EPT = Σ its communes, in every period; and a
commune's `dernier` cell = its cell of that year (the same number published twice must be
suppressed twice). Primary cells: 0 < real value < T; secondary suppression as in
etl/protect.py. Datasets `reel` and `tout` as there too: the suppression is decided on the
real values and `tout` cells take the status of their `reel` cell (demonstration-only
values, public by construction, are published). A value is no record: a demonstration
value never adds to a real one, it only stands for a commune's indicator without real values
(the demonstration generator makes none today). Every cell with a value is stored, zeros
included, so that a missing cell reads « pas de données » rather than 0.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from core.settings import get_settings
from etl import protect
from etl.need.indicators import PEOPLE_COUNTS

TABLE = "public_indicator_counts"
LATEST = "dernier"  # each commune's latest value (need_values.sql's arg_max)
NO_YEAR = "-"

_VALUES_SQL = """
SELECT v.commune_code, v.indicator, coalesce(CAST(v.year AS VARCHAR), '-') AS period,
       coalesce(v.year, -1) AS rank, round(v.value) AS value, v.is_demo
FROM indicator_values v JOIN communes c ON c.code = v.commune_code
WHERE list_contains($ids, v.indicator)
"""


def _fill(values, present, rows: pd.DataFrame, t_index, m_index, p_index) -> dict:
    """Commune cells of ROWS (one dataset) into VALUES / PRESENT, periods and `dernier`;
    returns {(commune index, indicator index): period index of its latest value}."""
    if rows.empty:
        return {}
    one = rows.groupby(["commune_code", "indicator", "period"], as_index=False).agg(
        value=("value", "max"), rank=("rank", "max")
    )
    latest = one.sort_values("rank").groupby(["commune_code", "indicator"]).tail(1)
    t = one["commune_code"].map(t_index).to_numpy()
    m = one["indicator"].map(m_index).to_numpy()
    values[t, 0, m, one["period"].map(p_index).to_numpy()] = one["value"].to_numpy()
    present[t, 0, m, one["period"].map(p_index).to_numpy()] = True
    t, m = latest["commune_code"].map(t_index).to_numpy(), latest["indicator"].map(m_index)
    values[t, 0, m.to_numpy(), p_index[LATEST]] = latest["value"].to_numpy()
    present[t, 0, m.to_numpy(), p_index[LATEST]] = True
    years = latest["period"].map(p_index).to_numpy()
    return dict(zip(zip(t, m.to_numpy(), strict=True), years, strict=True))


def build_cube(con: duckdb.DuckDBPyConnection) -> tuple[protect.Cube, np.ndarray, np.ndarray]:
    """The cube of the protected indicators, and which cells hold a value (reel, tout)."""
    rows = con.execute(_VALUES_SQL, {"ids": sorted(PEOPLE_COUNTS)}).df()
    communes = con.execute("SELECT code, ept_code FROM communes ORDER BY code").df()
    epts = sorted(communes["ept_code"].unique())
    territories = (
        [("commune", c) for c in communes["code"]]
        + [("ept", e) for e in epts]
        + [("departement", protect.DEPARTEMENT)]
    )
    t_index = {code: i for i, (_, code) in enumerate(territories)}
    measures = sorted(set(rows["indicator"]))
    periods = sorted(set(rows["period"])) + [LATEST]
    m_index = {m: i for i, m in enumerate(measures)}
    p_index = {p: i for i, p in enumerate(periods)}
    shape = (len(territories), 1, len(measures), len(periods))
    reel, tout = np.zeros(shape), np.zeros(shape)
    has_reel, has_tout = np.zeros(shape, bool), np.zeros(shape, bool)
    real = rows[~rows["is_demo"]]
    latest = _fill(reel, has_reel, real, t_index, m_index, p_index)
    # Values are not records: a demonstration value never adds to a real one. It only fills
    # a commune's indicator without any real value, so that the real part of every `tout`
    # cell is its `reel` cell (the same cells hide it).
    known = set(zip(real["commune_code"], real["indicator"], strict=True))
    demo_only = np.array(
        [(c, i) not in known for c, i in zip(rows["commune_code"], rows["indicator"], strict=True)],
        dtype=bool,
    )
    _fill(tout, has_tout, rows[~rows["is_demo"] | demo_only], t_index, m_index, p_index)

    relations = [protect.Relation(0, [t_index[protect.DEPARTEMENT]], [t_index[e] for e in epts])]
    members = {e: [t_index[c] for c in g["code"]] for e, g in communes.groupby("ept_code")}
    for ept, parts in members.items():
        relations.append(protect.Relation(0, [t_index[ept]], parts))
        for values, present in ((reel, has_reel), (tout, has_tout)):
            values[t_index[ept]] = values[parts].sum(0)
            present[t_index[ept]] = present[parts].any(0)
    department = t_index[protect.DEPARTEMENT]
    for values, present in ((reel, has_reel), (tout, has_tout)):
        values[department] = values[: len(communes)].sum(0)
        present[department] = present[: len(communes)].any(0)
    for (commune, measure), year in latest.items():
        fixed = ((0, int(commune)), (2, int(measure)))
        relations.append(protect.Relation(3, [p_index[LATEST]], [int(year)], fixed))
    relations = [r for r in relations if r.parts]
    cube = protect.Cube(territories, [protect.ALL], measures, periods, reel, tout, relations, [])
    return cube, has_reel, has_tout


def cells(con: duckdb.DuckDBPyConnection, threshold: int) -> pd.DataFrame:
    """The published cells of both datasets, with their statuses."""
    cube, has_reel, has_tout = build_cube(con)
    status = np.full(cube.reel.shape, "publie", dtype=object)
    if cube.reel.size:
        status[protect.suppress(cube, threshold)] = "secondaire"
        status[(cube.reel > 0) & (cube.reel < threshold)] = "primaire"
    # A tout cell tells what its reel cell tells: the same status (demonstration-only: public).
    tout_status = np.where(has_reel & (cube.reel != 0), status, "publie")
    frame = pd.concat(
        [
            protect._table(cube, cube.reel, "reel", status, has_reel),
            protect._table(cube, cube.tout, "tout", tout_status, has_tout),
        ],
        ignore_index=True,
    )
    frame = frame.drop(columns="programme_id").rename(columns={"measure": "indicator"})
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def refresh(con: duckdb.DuckDBPyConnection, threshold: int | None = None) -> None:
    """Recompute public_indicator_counts inside the caller's transaction; unchanged cells
    are not rewritten (nothing to do on a warehouse not yet migrated to it)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [TABLE]
    ).fetchone()[0]
    if not exists:
        return
    frame = cells(con, threshold or get_settings().small_count_threshold)
    kept = con.execute(f"SELECT * FROM {TABLE}").df()
    kept = kept[list(frame.columns)].sort_values(list(frame.columns)).reset_index(drop=True)
    if (
        len(kept) == len(frame)
        and (kept.astype(str).to_numpy() == frame.astype(str).to_numpy()).all()
    ):
        return  # the same cells: no new version of the table
    con.execute(f"DELETE FROM {TABLE}")
    con.register("_public_indicator_counts_new", frame)
    try:
        con.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM _public_indicator_counts_new")
    finally:
        con.unregister("_public_indicator_counts_new")
