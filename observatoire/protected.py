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
import numpy as np
import pandas as pd

from observatoire import audience, disclosure, fmt, warehouse
from observatoire.charts import targets as target_charts
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


def _stored(filters: Filters, measure: str, territories, programmes, periods, con) -> dict:
    """{(territory, programme, period): (value, status)} of the stored cells of MEASURE among
    those (a cell not stored is a published 0)."""
    found = _query(
        "protected_cells",
        con,
        dataset="tout" if _demo_counts(filters, con) else "reel",
        measure=measure,
        territories=territories,
        programmes=programmes,
        periods=periods,
    )
    return {
        (r.territory_code, r.programme_id, r.period): (int(r.value), r.status)
        for r in found.itertuples()
    }


def _summed(stored: dict, keys: list) -> tuple[int | None, str]:
    """(value, status) of the figure made of the cells KEYS: one cell shows its own status,
    a sum is masked as soon as one of its cells is suppressed."""
    values = [stored.get(key, (0, PUBLISHED)) for key in keys]
    if len(keys) == 1:
        status = values[0][1]
    else:
        status = PUBLISHED if all(s == PUBLISHED for _, s in values) else MASKED
    return (sum(v for v, _ in values) if status == PUBLISHED else None), status


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
    stored = _stored(filters, measure, territories, programmes, periods, con)
    rows = []
    for code, cells in groups:
        keys = list(product(cells, programmes, periods))
        total, status = _summed(stored, keys)
        rows.append((code, level, total, status, len(keys) == 1))
    table = pd.DataFrame(rows, columns=["territory_code", "level", "value", "status", "exact"])
    table["value"] = table["value"].astype("Int64")  # <NA> where masked
    return ProtectedFigures(table, month_from, month_to, int(meta["threshold"]))


# Figures of the pages (Vue d'ensemble, Programmes, Financements) ---------------------------
#
# Each function below is the one place that decides, for its family of figures, where the
# counts of people come from: the exact queries for an interne (audience.exact_counts()),
# the protected tables for everyone else. Hidden counts are <NA> with their status beside.

EQUIPEMENTS, PERSONNES = "equipements", "personnes"


def protected_table(
    filters: Filters,
    measures: list[str],
    by: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> ProtectedFigures:
    """The public figures of each of MEASURES over the whole selection of the common filters,
    alone (BY None), by month ('month') or by programme ('programme'), from the protected
    tables only. table: measure, month (date, first day) or programme_id, value (<NA>
    unless publie), status, exact."""
    if by not in (None, "month", "programme"):
        raise ValueError(f"by: {by!r} not in (None, 'month', 'programme')")
    meta = _query("protected_meta", con)
    if meta.empty:
        raise warehouse.WarehouseOutdated("public_counts (python -m etl migrate)")
    meta = meta.iloc[0]
    first, last = meta["first_month"], meta["last_month"]
    month_from, month_to = coarsen(filters.date_from, filters.date_to)
    known = sorted(meta["programmes"] if meta["programmes"] is not None else [])
    chosen = sorted(filters.programmes) if filters.programmes else known
    every = not filters.programmes or set(known) <= set(filters.programmes)
    programmes = [ALL] if every else chosen  # a programme without cells: a published 0
    groups = _territory_groups(filters, "departement", _query("territories", con))
    territories = groups[0][1] if groups else []
    # (label of the row, its programme cells, its period cells)
    if by == "month" and first is not None:
        low = max(first, month_from.strftime("%Y-%m")) if month_from else first
        high = min(last, month_to.strftime("%Y-%m")) if month_to else last
        rows = []
        for month in _months(low, high) if low <= high else []:
            start = date(int(month[:4]), int(month[5:]), 1)
            rows.append((start, programmes, period_cells(*coarsen(start, start), first, last)))
    elif by == "programme":
        periods = period_cells(month_from, month_to, first, last)
        rows = [(p, [p], periods) for p in chosen]
    else:
        rows = [(None, programmes, period_cells(month_from, month_to, first, last))]
    if not territories or not rows:
        rows = []
    column = {"month": "month", "programme": "programme_id"}.get(by)
    out = []
    for measure in measures:
        stored = _stored(
            filters,
            measure,
            territories,
            sorted({p for _, ps, _ in rows for p in ps}),
            sorted({p for _, _, ps in rows for p in ps}),
            con,
        )
        for label, row_programmes, periods in rows:
            keys = list(product(territories, row_programmes, periods))
            value, status = _summed(stored, keys) if keys else (0, PUBLISHED)
            out.append((measure, label, value, status, len(keys) == 1))
    table = pd.DataFrame(out, columns=["measure", column or "by", "value", "status", "exact"])
    if column is None:
        table = table.drop(columns="by")
    table["value"] = table["value"].astype("Int64")
    return ProtectedFigures(table, month_from, month_to, int(meta["threshold"]))


def texts(values: pd.Series, statuses: pd.Series, real_only: bool, number=None) -> pd.Series:
    """Each figure in French, or its label when hidden (« < 5 », « secret »)."""
    number = number or fmt.number
    labels = disclosure.status_texts(statuses, real_only)
    return pd.Series(
        [label or number(v) for v, label in zip(values, labels, strict=True)],
        index=values.index,
        dtype=object,
    )


def for_chart_and_export(
    frame: pd.DataFrame, column: str, statuses: pd.Series, real_only: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(for the chart: hidden figures NaN, for its export: hidden figures as their label),
    both marked protected."""
    chart = frame.copy()
    chart[column] = pd.to_numeric(chart[column], errors="coerce").astype(float)
    export = frame.copy()
    labels = disclosure.status_texts(statuses, real_only)
    if labels.notna().any():
        export[column] = export[column].astype(object)
        export.loc[labels.notna().to_numpy(), column] = labels[labels.notna()].to_numpy()
    return disclosure.mark(chart, "protected"), disclosure.mark(export, "protected")


def real_only(filters: Filters, has_demo: bool) -> bool:
    """Whether a figure holds real records only (then a small count reads « < 5 »)."""
    return not (_demo_counts(filters) and bool(has_demo))


def _demo_counts(filters: Filters, con: duckdb.DuckDBPyConnection | None = None) -> bool:
    """Whether demonstration distributions count under FILTERS: not once real ones are
    loaded (warehouse.demo_flags), unless the reader asks for both. CON: read there rather
    than in the configured warehouse."""
    if not filters.include_demo:
        return False
    if filters.demo_with_real:
        return True
    kinds = _query("demo_kinds", con)
    return not kinds.loc[kinds["kind"] == "distributions", "has_real"].any() or not (
        kinds.loc[kinds["kind"] == "distributions", "has_demo"].any()
    )


def key_figures(filters: Filters) -> tuple[dict, ProtectedFigures | None]:
    """warehouse.key_figures and, for a reader who is not interne, its counts of people
    (items_distributed, people_reached) from the protected tables: None when hidden, their
    status under `<key>_status`; with the protected figures of people (None for an
    interne), for months_note."""
    figures = warehouse.key_figures(filters)
    if audience.exact_counts():
        return figures, None
    # The counts cover whole months: demonstration records there are in the figures shown,
    # even when the chosen days hold none, and the page must say so.
    month_from, month_to = coarsen(filters.date_from, filters.date_to)
    if (month_from, month_to) != (filters.date_from, filters.date_to):
        whole = warehouse.key_figures(filters.with_(date_from=month_from, date_to=month_to))
        figures["has_demo"] = bool(figures["has_demo"] or whole["has_demo"])
    protected = None
    for key, measure in (("items_distributed", EQUIPEMENTS), ("people_reached", PERSONNES)):
        protected = protected_counts(filters, measure, "departement")
        row = protected.table.iloc[0] if len(protected.table) else None
        value = None if row is None or pd.isna(row["value"]) else int(row["value"])
        figures[key], figures[f"{key}_status"] = value, PUBLISHED if row is None else row["status"]
    return figures, protected


def figure_text(figures: dict, key: str, filters: Filters) -> str:
    """A key figure of key_figures in French: its label when hidden (« < 5 », « secret »)."""
    label = disclosure.status_text(
        figures.get(f"{key}_status"), real_only(filters, figures["has_demo"])
    )
    return label or fmt.number(figures[key])


def per_thousand_text(figures: dict) -> str:
    """People reached per 1 000 inhabitants: « masqué » when the count of people is hidden."""
    if figures.get("people_reached_status", PUBLISHED) != PUBLISHED:
        return disclosure.DERIVED_LABEL
    if not figures["population"]:
        return "–"
    return fmt.number(1000 * figures["people_reached"] / figures["population"], 1)


def distributions_by_item(
    filters: Filters, has_demo: bool
) -> tuple[pd.DataFrame, pd.DataFrame, ProtectedFigures | None]:
    """Quantities per item (item, quantity): (for the chart, for its export, the protected
    figures or None for an interne, who gets warehouse.distributions_by_item as it is)."""
    if audience.exact_counts():
        exact = warehouse.distributions_by_item(filters)
        return exact, exact, None
    items = _query("protected_items", None)["item"].tolist()
    figures = protected_table(filters, [f"item:{i}" for i in items])
    table = figures.table.assign(item=figures.table["measure"].str[5:])
    table = table[(table["value"] != 0).fillna(True)]  # an item with nothing under the filters
    table = table.sort_values("value", ascending=False, na_position="last")
    frame = table[["item"]].assign(quantity=table["value"]).reset_index(drop=True)
    chart, export = for_chart_and_export(
        frame, "quantity", table["status"].reset_index(drop=True), real_only(filters, has_demo)
    )
    return chart, export, figures


def distributions_by_month(
    filters: Filters, has_demo: bool
) -> tuple[pd.DataFrame, pd.DataFrame, ProtectedFigures | None]:
    """Monthly quantities per item (month, item, quantity): (for the chart, for its export,
    the protected figures or None for an interne)."""
    if audience.exact_counts():
        exact = warehouse.distributions_by_month(filters)
        return exact, exact, None
    items = _query("protected_items", None)["item"].tolist()
    figures = protected_table(filters, [f"item:{i}" for i in items], by="month")
    table = figures.table.assign(item=figures.table["measure"].str[5:])
    table = table[(table["value"] != 0).fillna(True)].sort_values(["month", "item"])
    table = table.reset_index(drop=True)
    frame = table[["month", "item"]].assign(quantity=table["value"])
    frame["month"] = pd.to_datetime(frame["month"])
    return (
        *for_chart_and_export(frame, "quantity", table["status"], real_only(filters, has_demo)),
        figures,
    )


def funding_costs(filters: Filters) -> tuple[pd.DataFrame, ProtectedFigures | None]:
    """warehouse.funding_costs and, for a reader who is not interne, its counts of people
    (items, people) by programme from the protected tables, over whole months (the money and
    the posts too, so that a cost divides figures of one period): hidden counts <NA> with
    items_status / people_status, and what derives from them (€ per item, € per person)
    <NA>. The protected figures come second (None for an interne)."""
    if audience.exact_counts():
        return warehouse.funding_costs(filters), None
    month_from, month_to = coarsen(filters.date_from, filters.date_to)
    costs = warehouse.funding_costs(filters.with_(date_from=month_from, date_to=month_to))
    costs = costs.drop(columns=["items", "people", "euros_per_item", "euros_per_person"])
    figures = protected_table(filters, [EQUIPEMENTS, PERSONNES], by="programme")
    table = figures.table
    for measure, column in ((EQUIPEMENTS, "items"), (PERSONNES, "people")):
        part = table[table["measure"] == measure].set_index("programme_id")
        costs[column] = costs["programme_id"].map(part["value"]).astype(float)
        costs[f"{column}_status"] = costs["programme_id"].map(part["status"]).fillna(PUBLISHED)
    # (the exact query keeps programmes with money and something done: here, posts, or
    # counts of people that are published non-zero or hidden, hence not zero)
    done = (costs["items"] != 0).fillna(True) | (costs["people"] != 0).fillna(True)
    costs = costs[done | (costs["posts"].fillna(0) > 0)].reset_index(drop=True)
    for column, count in (("euros_per_item", "items"), ("euros_per_person", "people")):
        counts = costs[count].astype(float)
        costs[column] = costs["euros"] / counts.where(counts != 0)
    return disclosure.mark(costs, "protected"), figures


def _restated(rows: pd.DataFrame) -> pd.DataFrame:
    """What derives from `achieved` (progress, remaining, monthly pace, status) computed
    again from it, as _target_status.sql does; all empty where it is hidden (NaN)."""
    achieved, share = rows["achieved"].astype(float), rows["target_share"].astype(float)
    hidden = achieved.isna()
    ahead = rows["months_left"].notna() & (share > achieved)
    status = pd.Series(None, index=rows.index, dtype=object)
    status[achieved < share * rows["elapsed"].astype(float)] = "en retard"
    status[achieved >= share * rows["elapsed"].astype(float)] = "en bonne voie"
    status[rows["elapsed"].isna()] = "en cours"
    status[achieved <= 0] = "non commencé"
    status[achieved >= share] = "atteint"
    status[hidden | ~(share > 0)] = None
    ranks = {"en retard": 0, "non commencé": 1, "en cours": 2, "en bonne voie": 3, "atteint": 4}
    progress = achieved / share.where(share != 0)
    return rows.assign(
        achieved=achieved,
        progress=progress,
        remaining=(share - achieved).clip(lower=0),
        monthly_pace=((share - achieved) / rows["months_left"].astype(float)).where(ahead),
        status=status,
        status_rank=status.map(ranks),
        lag=progress - rows["elapsed"].astype(float).fillna(0),
    )


def target_progress(
    filters: Filters, today: date | None = None
) -> tuple[pd.DataFrame, ProtectedFigures | None]:
    """warehouse.target_progress and, for a reader who is not interne, the achievement of
    each target that counts people (indicator quantite) from the protected tables (measure
    cible:<family>, in the target's own scope, or over the selection under a territory
    filter), with what derives from it; hidden achievements <NA> with `achieved_status`,
    and no month by month series. The protected figures of the last target come second
    (None for an interne, or without such a target), for months_note."""
    progress = warehouse.target_progress(filters, today)
    if audience.exact_counts():
        return progress, None
    keys = ["programme_id", "indicator", "item", "public", "operator", "funder"]
    families = _query("protected_target_families", None)
    progress = progress.merge(families, on=keys, how="left")  # NaN keys match NaN keys
    people = progress["indicator"] == "quantite"
    progress["achieved_status"] = PUBLISHED
    progress["achieved"] = progress["achieved"].astype(float)
    figures = None
    for index, row in progress[people].iterrows():
        if filters.has_territory:
            where = filters
        elif row["scope"] == "ept":
            where = filters.with_(ept=row["scope_code"], communes=())
        elif row["scope"] == "commune":
            where = filters.with_(ept=None, communes=(row["scope_code"],))
        else:
            where = filters
        where = where.with_(programmes=(row["programme_id"],))
        figures = protected_counts(where, row["measure"], "departement")
        cell = figures.table.iloc[0] if len(figures.table) else None
        progress.loc[index, "achieved"] = (
            float(cell["value"]) if cell is not None and pd.notna(cell["value"]) else None
        )
        progress.loc[index, "achieved_status"] = PUBLISHED if cell is None else cell["status"]
    if people.any():
        restated = _restated(progress)
        for column in ("progress", "remaining", "monthly_pace", "status", "status_rank", "lag"):
            progress[column] = restated[column].where(people, progress[column])
        progress["monthly"] = [
            [] if p else m for p, m in zip(people, progress["monthly"], strict=True)
        ]
    return disclosure.mark(progress.drop(columns="measure"), "protected"), figures


def achieved_texts(progress: pd.DataFrame, with_unit: bool = False) -> tuple[pd.Series, pd.Series]:
    """(achieved, progress) of target_progress rows in French: « < 5 » / « secret » and
    « masqué » where the achievement is hidden; WITH_UNIT: « 20 000 € » beside a target
    written « 20 000 € »."""
    statuses = progress.get("achieved_status", pd.Series(PUBLISHED, index=progress.index))
    labels = pd.Series(
        [
            disclosure.status_text(s, real_only=not demo)
            for s, demo in zip(statuses, progress["has_demo"], strict=True)
        ],
        index=progress.index,
        dtype=object,
    )
    units = progress["unit"] if with_unit else pd.Series("", index=progress.index)
    achieved = [
        label or f"{fmt.number(v)} {u}".strip()
        for v, u, label in zip(progress["achieved"], units.fillna(""), labels, strict=True)
    ]
    percent = [
        disclosure.DERIVED_LABEL if label else fmt.percent(p)
        for p, label in zip(progress["progress"], labels, strict=True)
    ]
    return pd.Series(achieved, index=progress.index), pd.Series(percent, index=progress.index)


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
    real_only = ~frame["has_demo"].astype(bool) | (not _demo_counts(filters))
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


def months_note(
    filters: Filters, months: ProtectedFigures | tuple[date | None, date | None] | None
) -> str | None:
    """The one French sentence saying that counts of people cover whole months, when those
    months (ProtectedFigures.month_from, month_to, or that pair) differ from the chosen dates;
    else None (and for an interne, whose figures are None)."""
    if isinstance(months, ProtectedFigures):
        months = (months.month_from, months.month_to)
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


# Breakdowns, target families and the territory sheet ---------------------------------------
#
# What a lecteur sees of the Objectifs page, the territory sheet and its PDF fiche. Each
# function returns the exact figures to an interne (audience.exact_counts(), decided once per
# run) and, to anyone else, figures derived from the protected cells only, marked
# "protected" so that exports accept them.

HIDDEN_STATUS = disclosure.DERIVED_LABEL  # the status of a target whose count is hidden
_TARGET_KEYS = ["programme_id", "indicator", "item", "public", "operator", "funder"]


def exact() -> bool:
    return audience.exact_counts()


def item_measures(con=None) -> list[str]:
    """item:<item> for every item: their sum is every distribution (recharges included)."""
    return [f"item:{item}" for item in _query("protected_items", con)["item"]]


def demo_loaded() -> bool:
    """Whether the warehouse holds demonstration distributions at all (without any, a
    figure with demonstration data included holds real records only)."""
    return bool(_query("protected_has_demo", None).iloc[0]["has_demo"])


def _real_only(filters: Filters) -> bool:
    return real_only(filters, demo_loaded())


def protected_by(
    filters: Filters,
    measures: list[str],
    by: tuple[str, ...] = (),
    con: duckdb.DuckDBPyConnection | None = None,
) -> ProtectedFigures:
    """The sum of MEASURES over the whole selection of FILTERS, one row per programme
    and/or month (BY ⊂ ("programme", "month"); no BY: one row), from the protected cells
    only: a sum that includes a suppressed cell is masked, unless it is one cell. Columns:
    programme_id and month ('YYYY-MM') as asked, value, status, exact."""
    meta = _query("protected_meta", con)
    if meta.empty:
        raise warehouse.WarehouseOutdated("public_counts (python -m etl migrate)")
    meta = meta.iloc[0]
    month_from, month_to = coarsen(filters.date_from, filters.date_to)
    first, last = meta["first_month"], meta["last_month"]
    if "month" in by:
        low = max(first, month_from.strftime("%Y-%m")) if first and month_from else first
        high = min(last, month_to.strftime("%Y-%m")) if last and month_to else last
        period_groups = [[m] for m in _months(low, high)] if first and low <= high else []
    else:
        period_groups = [period_cells(month_from, month_to, first, last)]
    known = sorted(meta["programmes"] if meta["programmes"] is not None else [])
    chosen = set(filters.programmes)
    if "programme" in by:
        programme_groups = [[p] for p in known if not chosen or p in chosen]
    else:
        programme_groups = [[ALL] if not chosen or set(known) <= chosen else sorted(chosen)]
    communes = _query("territories", con)[["code", "ept_code"]]
    groups = _territory_groups(filters, "departement", communes)
    cover = groups[0][1] if groups else []
    found = _query(
        "protected_cells_measures",
        con,
        dataset="tout" if _demo_counts(filters, con) else "reel",
        measures=list(measures),
        territories=cover,
        programmes=sorted({p for g in programme_groups for p in g}),
        periods=sorted({p for g in period_groups for p in g}),
    )
    stored = {
        (r.measure, r.territory_code, r.programme_id, r.period): (int(r.value), r.status)
        for r in found.itertuples()
    }
    rows = []
    for programmes, periods in product(programme_groups, period_groups):
        keys = list(product(measures, cover, programmes, periods))
        values = [stored.get(key, (0, PUBLISHED)) for key in keys]
        if len(keys) == 1:
            status = values[0][1]
        else:
            status = PUBLISHED if all(s == PUBLISHED for _, s in values) else MASKED
        total = sum(v for v, _ in values) if status == PUBLISHED and keys else None
        row = {"value": total if keys else 0, "status": status if keys else PUBLISHED}
        if "programme" in by:
            row["programme_id"] = programmes[0]
        if "month" in by:
            row["month"] = periods[0]
        rows.append(row | {"exact": len(keys) == 1})
    columns = ["programme_id"] * ("programme" in by) + ["month"] * ("month" in by)
    table = pd.DataFrame(rows, columns=[*columns, "value", "status", "exact"])
    table["value"] = table["value"].astype("Int64")
    return ProtectedFigures(table, month_from, month_to, int(meta["threshold"]))


def dates_note(filters: Filters) -> str | None:
    """months_note for figures of FILTERS' whole months (None for an interne)."""
    if exact():
        return None
    month_from, month_to = coarsen(filters.date_from, filters.date_to)
    return months_note(filters, (month_from, month_to))


def _one(figures: ProtectedFigures) -> tuple[float | None, str]:
    """(value or None when hidden, status) of a one-row figure (no row: a published 0)."""
    if figures.table.empty:
        return 0.0, PUBLISHED
    row = figures.table.iloc[0]
    value = None if pd.isna(row["value"]) else float(row["value"])
    return value, str(row["status"])


# The key figures that count people (warehouse.key_figures) and their measure in the cube.
KEY_FIGURE_MEASURES = {"items_distributed": "equipements", "people_reached": "personnes"}


def sheet_key_figures(filters: Filters) -> dict:
    """key_figures of the territory sheet and its fiche (a territory, its EPT, the
    département): for a lecteur, with what to show instead of each count of people under
    « <key>_label » (« < 5 », « secret »; None when shown)."""
    figures, _ = key_figures(filters)
    if exact():
        return figures
    for key in KEY_FIGURE_MEASURES:
        status = figures[f"{key}_status"]
        figures[f"{key}_label"] = disclosure.status_text(status, _real_only(filters))
    return figures


def programme_months(filters: Filters) -> pd.DataFrame:
    """Quantities distributed per month and programme (warehouse.territory_programme_months'
    columns: month, programme_id, programme_name, quantity); for a lecteur, the sum of every
    item from the protected cells, with status and label (« < 5 », « secret »; None when
    shown) and quantity <NA> when hidden."""
    if exact():
        return warehouse.territory_programme_months(filters)
    figures = protected_by(filters, item_measures(), by=("programme", "month")).table
    names = warehouse.programme_list().set_index("id")["name"]
    # Months and programmes with nothing distributed are left out, as in the exact query.
    table = figures[figures["status"].ne(PUBLISHED) | figures["value"].fillna(0).gt(0)]
    out = pd.DataFrame(
        {
            "month": pd.to_datetime(table["month"] + "-01").dt.date,
            "programme_id": table["programme_id"],
            "programme_name": table["programme_id"].map(names).fillna(table["programme_id"]),
            "quantity": table["value"].astype("Float64").astype(float),
            "status": table["status"],
            "label": disclosure.status_texts(table["status"], _real_only(filters)),
        }
    ).sort_values(["month", "programme_name"], kind="stable")
    return disclosure.mark(out.reset_index(drop=True), "protected")


# Targets -----------------------------------------------------------------------------------


def _with_measures(rows: pd.DataFrame) -> pd.Series:
    """The cube measure (cible:<family>) of each target row (None for other indicators)."""
    families = _query("protected_target_families", None)
    left = rows[_TARGET_KEYS].astype(object).where(rows[_TARGET_KEYS].notna(), "")
    right = families.astype(object).where(families.notna(), "")
    merged = left.merge(right, how="left", on=_TARGET_KEYS)
    return pd.Series(merged["measure"].to_numpy(), index=rows.index).where(
        rows["indicator"].eq("quantite")
    )


def _row_scope(filters: Filters, row) -> Filters:
    """The selection a target row counts over: the territory filter, or else its own scope
    (target_progress.sql)."""
    if filters.has_territory:
        return filters
    if row.scope == "ept":
        return filters.with_(ept=row.scope_code, communes=())
    if row.scope == "commune":
        return filters.with_(ept=None, communes=(row.scope_code,))
    return filters.with_(ept=None, communes=())


def _status(rows: pd.DataFrame, achieved: pd.Series, hidden: pd.Series) -> pd.DataFrame:
    """_target_status.sql again on ACHIEVED (protected), HIDDEN rows left without any figure
    derived from their count (status « masqué »)."""
    out = rows.copy()
    share = out["target_share"].astype(float)
    a = achieved.astype(float).where(~hidden)
    out["achieved"] = a
    out["progress"] = a / share.where(share != 0)
    out["remaining"] = (share - a).clip(lower=0)
    left = out["months_left"].astype(float)
    out["monthly_pace"] = ((share - a) / left).where((left > 0) & (share > a))
    elapsed = out["elapsed"].astype(float)
    status = np.select(
        [share.isna() | (share <= 0), a >= share, a <= 0, elapsed.isna(), a >= share * elapsed],
        [None, "atteint", "non commencé", "en cours", "en bonne voie"],
        "en retard",
    )
    out["status"] = pd.Series(status, index=out.index, dtype=object).where(~hidden, HIDDEN_STATUS)
    ranks = {"en retard": 0, "non commencé": 1, "en cours": 2, "en bonne voie": 3, "atteint": 4}
    out["status_rank"] = out["status"].map(ranks)
    out["lag"] = out["progress"] - elapsed.fillna(0)
    return out


_DERIVED = ("achieved", "progress", "remaining", "monthly_pace", "lag")


def _protect_targets(rows: pd.DataFrame, figures: list[tuple[float | None, str]], real_only):
    """ROWS with the achieved count of their quantity targets from FIGURES ((value, status)
    per row, None for other rows) and what derives from it; achieved_text: « < 5 » or
    « secret » where hidden."""
    quantity = rows["indicator"].eq("quantite")
    values = pd.Series([f[0] if f else np.nan for f in figures], index=rows.index, dtype=float)
    statuses = pd.Series([f[1] if f else PUBLISHED for f in figures], index=rows.index)
    hidden = quantity & statuses.ne(PUBLISHED)
    achieved = rows["achieved"].astype(float).where(~quantity, values)
    recomputed = _status(rows[quantity], achieved[quantity], hidden[quantity])
    out = rows.astype({c: float for c in _DERIVED} | {"status": object, "status_rank": float})
    for column in (*_DERIVED, "status", "status_rank"):
        out.loc[quantity, column] = recomputed[column]
    out["achieved_text"] = disclosure.status_texts(statuses.where(hidden), real_only)
    out["count_status"] = statuses.where(quantity)
    return disclosure.mark(out, "protected")


def departement_scale(rows: pd.DataFrame) -> pd.DataFrame:
    """ROWS where a territory's share of an action run at the département's scale (every
    record of it given to the whole département: departement_scale, from the SQL) reads
    as such: status « action départementale, non répartie », no achieved count, progress,
    remaining or pace of its own (never « 0 % · non commencé »), the département's progress
    kept beside (departement_progress)."""
    if "departement_scale" not in rows or rows.empty:
        return rows
    flag = rows["departement_scale"].fillna(False).astype(bool)
    if not flag.any():
        return rows
    derived = [c for c in (*_DERIVED, "status_rank") if c in rows.columns]
    out = rows.astype({c: float for c in derived} | {"status": object})
    out.loc[flag, derived] = np.nan
    out.loc[flag, "status"] = target_charts.DEPARTEMENT_STATUS
    out.loc[flag, "status_rank"] = target_charts.DEPARTEMENT_RANK
    return out


def target_rows(filters: Filters, today: date | None = None) -> pd.DataFrame:
    """warehouse.target_progress for this run's reader: for a lecteur, the achieved count of
    every target of people (cible:<family>) from the protected cells over the target's
    selection, its progress, remaining, pace and status derived from it, and hidden
    (achieved_text « < 5 » / « secret », status « masqué ») with it; monthly left empty
    (see target_trajectory)."""
    rows = departement_scale(warehouse.target_progress(filters, today=today))
    if exact() or rows.empty:
        return rows
    measures = _with_measures(rows)
    figures = [
        _one(protected_counts(_row_scope(filters, row), measure, "departement"))
        if isinstance(measure, str)
        else None
        for row, measure in zip(rows.itertuples(), measures, strict=True)
    ]
    out = _protect_targets(rows, figures, _real_only(filters))
    out["measure"] = measures
    out["monthly"] = [
        [] if isinstance(m, str) else v for m, v in zip(measures, out["monthly"], strict=True)
    ]
    return disclosure.mark(out, "protected")


def target_trajectory(filters: Filters, row):
    """The target row (from target_rows) with its cumulative achievement by month: as
    it is for an interne or a target that counts no people; for a lecteur, from the
    protected cells (the whole months up to each month's end), None where masked."""
    measure = getattr(row, "measure", None)
    if exact() or not isinstance(measure, str):
        return row
    scope = _row_scope(filters, row)
    meta = _query("protected_meta", None).iloc[0]
    month_from, month_to = coarsen(filters.date_from, filters.date_to)
    low = max(meta["first_month"], month_from.strftime("%Y-%m")) if month_from else None
    high = min(meta["last_month"], month_to.strftime("%Y-%m")) if month_to else None
    points = []
    for month in _months(low or meta["first_month"], high or meta["last_month"]):
        end = coarsen(None, date.fromisoformat(month + "-01"))[1]
        value, status = _one(protected_counts(scope.with_(date_to=end), measure, "departement"))
        if status == PUBLISHED and not value and not points:
            continue  # nothing yet: the line starts at the first month with something
        points.append({"month": date.fromisoformat(month + "-01"), "achieved": value})
    return row._replace(monthly=points)


def target_territory_progress(
    filters: Filters, level: str, today: date | None = None
) -> pd.DataFrame:
    """warehouse.target_territory_progress for this run's reader: for a lecteur, each
    territory's achieved count of a target of people is its protected cell (cible:<family>),
    and what derives from it is hidden with it."""
    rows = departement_scale(warehouse.target_territory_progress(filters, level, today=today))
    if exact() or rows.empty:
        return rows
    measures = _with_measures(rows)
    everywhere = filters.with_(ept=None, communes=())
    cells = {
        measure: protected_counts(everywhere, measure, level).table.set_index("territory_code")
        for measure in measures.dropna().unique()
    }
    figures = []
    for code, measure in zip(rows["territory_code"], measures, strict=True):
        if not isinstance(measure, str):
            figures.append(None)
        elif code in cells[measure].index:
            value = cells[measure].loc[code, "value"]
            status = cells[measure].loc[code, "status"]
            figures.append((None if pd.isna(value) else float(value), status))
        else:
            figures.append((0.0, PUBLISHED))
    out = _protect_targets(rows, figures, _real_only(filters))
    out["measure"] = measures
    return disclosure.mark(out, "protected")
