"""Public figures of counts of people, read from the protected tables only.

The protected tables (etl/protect.py, table public_counts) hold, for every territory,
programme, measure, period and dataset, a value and a status decided once per warehouse
version: publie, primaire (a small count, shown « < 5 ») or secondaire (hidden to protect
one, shown « secret »). A public figure is derived from them only, never from the records:

- dates are coarsened to whole months (the months the period touches);
- a figure that is exactly one cell of the cube shows that cell (its value, or its status);
- any other figure is the sum of the coarsest cells that cover it exactly (the département,
  whole EPTs, communes; all programmes or each chosen one; whole years or months), and is
  masked (status « masque ») as soon as one of them is suppressed.

Streamlit-free: give a DuckDB connection, or let the query layer use its own.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from itertools import product

import duckdb
import pandas as pd

from observatoire import audience, disclosure, fmt, warehouse
from observatoire.filters import Filters

LEVELS = ("commune", "ept", "departement")
DEPARTEMENT = "93"
ALL = "*"
PUBLISHED = "publie"
MASKED = "masque"  # a sum that includes a suppressed cell


@dataclass(frozen=True)
class ProtectedFigures:
    """The figures of one measure at one level, and what they really cover.

    table: one row per territory (one row for « departement »: the whole selection), with
    territory_code, level, value (<NA> unless status is publie), status (publie | primaire
    | secondaire | masque) and exact (True when the figure is one cell of the cube).
    month_from, month_to: the whole months the figures cover (first and last day), None
    when open (all the data); the page says so when they differ from the chosen dates.
    """

    table: pd.DataFrame
    month_from: date | None
    month_to: date | None
    threshold: int


def coarsen(date_from: date | None, date_to: date | None) -> tuple[date | None, date | None]:
    """The whole months a period touches: from the 1st of its first month to the last day
    of its last month."""
    start = date_from.replace(day=1) if date_from else None
    end = None
    if date_to:
        end = date_to.replace(day=calendar.monthrange(date_to.year, date_to.month)[1])
    return start, end


def _months(first: str, last: str) -> list[str]:
    out, (year, month) = [], (int(first[:4]), int(first[5:7]))
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def period_cells(month_from: date | None, month_to: date | None, first: str, last: str):
    """The coarsest period cells that sum to the months chosen within the data's months
    [first, last] ('YYYY-MM'): '*' for all of them, whole years, then single months."""
    if first is None:
        return []
    low = max(first, month_from.strftime("%Y-%m")) if month_from else first
    high = min(last, month_to.strftime("%Y-%m")) if month_to else last
    if low > high:
        return []
    if low == first and high == last:
        return [ALL]
    cells = []
    for year in range(int(low[:4]), int(high[:4]) + 1):
        in_data = [m for m in _months(first, last) if m.startswith(str(year))]
        chosen = [m for m in in_data if low <= m <= high]
        cells += [str(year)] if chosen == in_data else chosen
    return cells


def _territory_groups(filters: Filters, level: str, communes: pd.DataFrame):
    """(territory code, the cells that sum to it) for each territory of the figure."""
    selected = communes
    if filters.ept:
        selected = selected[selected["ept_code"] == filters.ept]
    if filters.communes:
        selected = selected[selected["code"].isin(filters.communes)]
    every_ept = communes.groupby("ept_code")["code"].apply(set)

    def cover(codes: set[str]) -> list[str]:
        if codes == set(communes["code"]):
            return [DEPARTEMENT]
        whole = [e for e, members in every_ept.items() if members <= codes]
        rest = codes - set().union(*(every_ept[e] for e in whole))
        return whole + sorted(rest)

    if level == "commune":
        return [(code, [code]) for code in sorted(selected["code"])]
    if level == "ept":
        groups = selected.groupby("ept_code")["code"].apply(set)
        return [(ept, cover(codes)) for ept, codes in groups.items()]
    return [(DEPARTEMENT, cover(set(selected["code"])))] if len(selected) else []


def _query(name: str, con: duckdb.DuckDBPyConnection | None, **params) -> pd.DataFrame:
    if con is None:
        return warehouse.query(name, None, **params)
    sql = warehouse.load_sql(name)
    return con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).df()


def protected_counts(
    filters: Filters,
    measure: str,
    level: str,
    con: duckdb.DuckDBPyConnection | None = None,
) -> ProtectedFigures:
    """The public figures of MEASURE (item:<item>, personnes, equipements, cible:<family>)
    for each territory of LEVEL (commune, ept, or departement: the whole selection) under
    the common filters, from the protected tables only."""
    if level not in LEVELS:
        raise ValueError(f"level: {level!r} not in {LEVELS}")
    meta = _query("protected_meta", con)
    if meta.empty:
        raise warehouse.WarehouseOutdated("public_counts (python -m etl migrate)")
    meta = meta.iloc[0]
    month_from, month_to = coarsen(filters.date_from, filters.date_to)
    periods = period_cells(month_from, month_to, meta["first_month"], meta["last_month"])
    known = set(meta["programmes"] if meta["programmes"] is not None else [])
    chosen = set(filters.programmes)
    programmes = [ALL] if not chosen or known <= chosen else sorted(chosen)
    communes = _query("territories", con)[["code", "ept_code"]]
    groups = _territory_groups(filters, level, communes)
    territories = sorted({code for _, cells in groups for code in cells})
    found = _query(
        "protected_cells",
        con,
        dataset="tout" if filters.include_demo else "reel",
        measure=measure,
        territories=territories,
        programmes=programmes,
        periods=periods,
    )
    stored = {
        (r.territory_code, r.programme_id, r.period): (int(r.value), r.status)
        for r in found.itertuples()
    }
    rows = []
    for code, cells in groups:
        keys = list(product(cells, programmes, periods))
        values = [stored.get(key, (0, PUBLISHED)) for key in keys]
        if len(keys) == 1:
            status = values[0][1]
        else:
            status = PUBLISHED if all(s == PUBLISHED for _, s in values) else MASKED
        total = sum(v for v, _ in values) if status == PUBLISHED else None
        rows.append((code, level, total, status, len(keys) == 1))
    table = pd.DataFrame(rows, columns=["territory_code", "level", "value", "status", "exact"])
    table["value"] = table["value"].astype("Int64")  # <NA> where masked
    return ProtectedFigures(table, month_from, month_to, int(meta["threshold"]))


# The map and « Aide et besoins » ----------------------------------------------------------

# The map's measures that count people, as measures of the cube (None: all equipment).
_MAP_MEASURES = {"personnes": "personnes", "quantite": "equipements"}


def cube_measure(measure: str, key: str | None = None) -> str | None:
    """The cube's measure of a map measure (personnes, quantite narrowed to item KEY), or
    None when the measure counts no people (euros, postes)."""
    if measure == "quantite" and key:
        return f"item:{key}"
    return _MAP_MEASURES.get(measure)


def map_values(filters: Filters, level: str, measure: str, key: str | None = None) -> pd.DataFrame:
    """warehouse.map_values as a reader may see it: unchanged for an interne and for money
    or posts; for anyone else, counts of people come from the protected tables, whole months
    and the status of each figure: value (NaN unless published; NaN too where the territory
    has no record, « pas de données »), status, mask_text (« < 5 », « secret » or None),
    records (0 or 1: whether it has records). The frame is marked "protected"; its
    attrs["months"] holds (month_from, month_to) for months_note."""
    cube = cube_measure(measure, key)
    if cube is None or audience.exact_counts():
        return warehouse.map_values(filters, level, measure, key)
    figures = protected_counts(filters, cube, level)
    # The territories, their population and whether they have records, over the same whole
    # months as the figures; the exact values are dropped.
    whole = filters.with_(date_from=figures.month_from, date_to=figures.month_to)
    frame = warehouse.map_values(whole, level, measure, key)
    frame["records"] = (frame["records"] > 0).astype(int)
    return _with_figures(frame, figures, filters, frame["records"] > 0)


def _with_figures(
    frame: pd.DataFrame, figures: ProtectedFigures, filters: Filters, has_records: pd.Series
) -> pd.DataFrame:
    """FRAME (code, has_demo) with value, status and mask_text from FIGURES, marked
    "protected"; a published 0 without records (HAS_RECORDS false) is « pas de données »."""
    frame = frame.copy()
    cells = figures.table.set_index("territory_code")
    frame["value"] = frame["code"].map(cells["value"]).astype("Float64").astype(float)
    frame["status"] = frame["code"].map(cells["status"]).fillna(PUBLISHED)
    nothing = ~has_records.to_numpy() & (frame["status"] == PUBLISHED) & (frame["value"] == 0)
    frame.loc[nothing, "value"] = float("nan")
    # « < 5 » only where the figure is its real records alone (disclosure.status_text).
    real_only = ~frame["has_demo"].astype(bool) | (not filters.include_demo)
    frame["mask_text"] = [
        disclosure.status_text(status, real)
        for status, real in zip(frame["status"], real_only, strict=True)
    ]
    frame.attrs["months"] = (figures.month_from, figures.month_to)
    return disclosure.mark(frame, "protected")


_FAMILY = ("programme_id", "indicator", "item", "public", "operator", "funder")


def target_values(values: pd.DataFrame, family, filters: Filters, level: str) -> pd.DataFrame:
    """The map's values of a target (map.choices.progress_values: value = achieved, NaN
    without records) as a reader may see them: unchanged for an interne and for targets of
    money or posts; for anyone else, the achieved count of a target of items handed to
    people (FAMILY: its row of the progress table) comes from the protected tables, with
    its status, like map_values."""
    if family["indicator"] != "quantite" or audience.exact_counts():
        return values
    measures = _query("protected_target_measures", None)
    same = pd.Series(True, index=measures.index)
    for column in _FAMILY:
        wanted = family[column]
        same &= measures[column].isna() if pd.isna(wanted) else measures[column] == wanted
    figures = protected_counts(filters, measures.loc[same, "measure"].iloc[0], level)
    return _with_figures(values, figures, filters, values["value"].notna())


def months_note(filters: Filters, months: tuple[date | None, date | None] | None) -> str | None:
    """The one French sentence saying that counts of people cover whole months, when those
    months (ProtectedFigures.month_from, month_to) differ from the chosen dates; else None."""
    if not months:
        return None
    month_from, month_to = months
    if (month_from, month_to) == (filters.date_from, filters.date_to):
        return None
    start = f"du {fmt.french_date(month_from)}" if month_from else "depuis le début des données"
    end = f"au {fmt.french_date(month_to)}" if month_to else "jusqu'aux dernières données"
    return (
        "Pour protéger les petits effectifs, les chiffres de personnes portent sur les mois "
        f"entiers : {start} {end}."
    )
