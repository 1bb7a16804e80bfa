"""Query benchmark: every query each page runs, and the main figures against a typical pandas
dashboard, on one warehouse (issue 7).

    .venv/bin/python bench/bench_queries.py --db bench/out/echelle/w-1000000.duckdb \
        [--repeats 5] [--json out.json] [--no-pandas] [--pages views/need.py,views/territory.py]

1. Capture, not a hand-written list: each page registered by app.py's st.navigation is run
   with Streamlit's AppTest, for the default view, a filtered view (one EPT, one programme,
   one year, set in the URL as a user's link would) and the same with a period that cuts
   months (read from the summaries by month and by day), with a hook around
   ``observatoire.warehouse.run`` that records every (query name, parameters) the page
   executes (the result cache is emptied before each page, so nothing hides).
2. Each recorded query is timed uncached with ``warehouse.run`` — on the kept read-only
   connection, the query, the result as a DataFrame: what a page pays on a cache miss.
3. The main figures (key figures, quantities by item, by commune, by month, target progress,
   funding by funder) are also computed the way a typical Streamlit dashboard does: the whole
   tables read once into pandas DataFrames (as st.cache_data would keep them), then filtered
   and aggregated in memory at each interaction. The one-off load (time, memory) is reported
   apart; per interaction, only the pandas computation is timed, against the uncached SQL
   query, interleaved run by run so that the ratio holds on a noisy machine. The pandas
   results are checked against the SQL results, so the comparison is like for like. The SQL
   is also timed reading the records instead of the summaries (etl/summary.py), to show what
   the summaries bring.

Prints one JSON document (and writes it with --json); bench/run.py turns it into tables.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from observatoire import warehouse  # noqa: E402
from observatoire.filters import Filters  # noqa: E402

EST_ENSEMBLE = "200057875"
# The national programme that logs every accompaniment: the bulk of the records.
PROGRAMME = "conseillers-numeriques"
# The territory sheet opens on a commune (its page without one shows nothing): the most
# populous, whose records are the most numerous. Other pages ignore this parameter.
SHEET = {"code": "93066"}  # Saint-Denis
VIEWS = {
    "défaut": {**SHEET},
    "filtrée": {
        **SHEET,
        "ept": EST_ENSEMBLE,
        "programme": PROGRAMME,
        "du": "2021-01-01",
        "au": "2021-12-31",
    },
    "période coupée": {
        **SHEET,
        "ept": EST_ENSEMBLE,
        "programme": PROGRAMME,
        "du": "2021-01-15",
        "au": "2021-12-20",
    },
}
TODAY = date.today()


# 1. Capture ---------------------------------------------------------------------------------


def _freeze(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def capture(db: Path, timeout_s: float = 600, only: tuple[str, ...] = ()) -> dict:
    """{view: {page title: [(query name, params), …]}} as the pages really run them (only the
    pages whose path is in ONLY, when given)."""
    from streamlit.testing.v1 import AppTest

    os.environ["OBSERVATOIRE_DB"] = str(db)
    recorded: list[tuple[str, dict]] = []
    original_run = warehouse.run

    def recording_run(name, params=None, path=None, facts=None):
        recorded.append((name, dict(params or {})))
        return original_run(name, params, path, facts)

    captured: dict[str, dict[str, list]] = {}
    warehouse.run = recording_run
    try:
        for view, query_params in VIEWS.items():
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout_s)
            at.query_params.update(query_params)
            at.run()
            pages = {
                str(Path(info["script_path"]).relative_to(ROOT)): info.get("page_name", "")
                for info in at._registered_pages.values()
                if info.get("script_path")
            }
            captured[view] = {}
            for page_path in pages:
                if only and page_path not in only:
                    continue
                warehouse._cached.clear()
                recorded.clear()
                at.switch_page(page_path).run()
                if at.exception:
                    raise RuntimeError(f"{page_path} ({view}) : {at.exception[0].message}")
                title = at.title[0].value if at.title else page_path
                unique = {(name, _freeze(p)): (name, p) for name, p in recorded}
                captured[view][f"{title} ({page_path})"] = list(unique.values())
    finally:
        warehouse.run = original_run
        warehouse._cached.clear()
    return captured


# 2. Timing ----------------------------------------------------------------------------------


def _seconds(func, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - started, result


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def time_page_queries(db: Path, captured: dict, repeats: int) -> list[dict]:
    """One row per distinct (view, query, parameters), with the pages that run it."""
    distinct: dict[tuple, dict] = {}
    for view, pages in captured.items():
        for page, queries in pages.items():
            for name, params in queries:
                row = distinct.setdefault(
                    (view, name, _freeze(params)),
                    {"view": view, "query": name, "params": params, "pages": []},
                )
                row["pages"].append(page)
    rows = list(distinct.values())
    samples: dict[int, list[float]] = {i: [] for i in range(len(rows))}
    for row in rows:  # warm the OS file cache, check each query runs
        row["result_rows"] = len(warehouse.run(row["query"], row["params"], db))
    for _ in range(repeats):
        for i, row in enumerate(rows):
            samples[i].append(_seconds(warehouse.run, row["query"], row["params"], db)[0])
    for i, row in enumerate(rows):
        row["seconds"] = summary(samples[i])
        row["params"] = json.loads(_freeze(row["params"]))
        if row["query"] in NEED_QUERIES or any(ALLOCATION_PAGE in p for p in row["pages"]):
            row["within_budget"] = row["seconds"]["median"] < NEED_BUDGET_S
    return rows


# The need side (issue #13): « Aide et besoins », the sheet's « Besoins » and the map's
# indicators and places: each query under 100 ms at
# 1 000 000 records and 100 000 places (bench/generate.py).
NEED_QUERIES = (
    "need_indicators",
    "need_by_territory",
    "need_values",
    "territory_places",
    "place_counts",
    "map_places",
    "place_totals",
    "place_options",
    "place_sources",
)
NEED_BUDGET_S = 0.100
# « Répartir une enveloppe » (issue #23): every query of the page, under the same budget.
ALLOCATION_PAGE = "views/allocation.py"


# 3. The typical pandas dashboard ------------------------------------------------------------


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class PandasDashboard:
    """What a typical Streamlit dashboard does: whole tables in DataFrames, kept in memory
    (st.cache_data), filtered with boolean masks and aggregated with groupby at each
    interaction. Written to be reasonable pandas, not a straw man: one groupby per figure,
    the commune → EPT join done once at load time."""

    def __init__(self, db: Path):
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        try:
            read = {
                table: con.execute(f"SELECT * FROM {table}").df()
                for table in ("distributions", "funding", "conseillers", "communes", "targets")
            }
        finally:
            con.close()
        self.communes = read["communes"]
        ept_of = self.communes.set_index("code")["ept_code"]
        self.d = read["distributions"]
        self.d["ept_code"] = self.d["commune_code"].map(ept_of)
        self.f = read["funding"]
        self.f["ept_of_commune"] = self.f["commune_code"].map(ept_of)
        self.p = read["conseillers"]
        self.p["ept_code"] = self.p["commune_code"].map(ept_of)
        self.targets = read["targets"]

    # Filters as boolean masks.
    @staticmethod
    def _common(frame: pd.DataFrame, f: Filters) -> pd.Series:
        mask = pd.Series(True, index=frame.index)
        if f.programmes:
            mask &= frame["programme_id"].isin(f.programmes)
        if f.date_from:
            mask &= frame["date"] >= pd.Timestamp(f.date_from)
        if f.date_to:
            mask &= frame["date"] <= pd.Timestamp(f.date_to)
        if not f.include_demo:
            mask &= ~frame["is_demo"]
        return mask

    def _facts(self, frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
        mask = self._common(frame, f)
        if f.ept:
            mask &= frame["ept_code"] == f.ept
        if f.communes:
            mask &= frame["commune_code"].isin(f.communes)
        return frame[mask]

    def _funding(self, f: Filters) -> pd.DataFrame:
        frame = self.f
        mask = self._common(frame, f)
        if f.communes:
            mask &= frame["commune_code"].isin(f.communes)
        elif f.ept:
            mask &= frame["ept_of_commune"].fillna(frame["ept_code"]) == f.ept
        return frame[mask]

    # The figures.
    def key_figures(self, f: Filters) -> dict:
        d, fu, p = self._facts(self.d, f), self._funding(f), self._facts(self.p, f)
        return {
            "items_distributed": int(d.loc[d["item"] != "accompagnement", "quantity"].sum()),
            "people_reached": int(d.loc[d["item"] != "recharge", "quantity"].sum()),
            "communes_reached": int(d["commune_code"].nunique()),
            "euros_committed": float(fu["amount_eur"].sum()),
            "conseiller_posts": int(p["posts"].sum()),
        }

    def by_item(self, f: Filters) -> pd.DataFrame:
        d = self._facts(self.d, f)
        return d.groupby("item")["quantity"].sum().sort_values(ascending=False).reset_index()

    def by_commune(self, f: Filters) -> pd.DataFrame:
        d = self._facts(self.d, f)
        items = d["quantity"].where(d["item"] != "accompagnement", 0)
        people = d["quantity"].where(d["item"] != "recharge", 0)
        sums = (
            pd.DataFrame({"code": d["commune_code"], "items": items, "people": people})
            .groupby("code")
            .sum()
        )
        shown = self.communes
        if f.ept:
            shown = shown[shown["ept_code"] == f.ept]
        return shown[["code", "name", "population"]].merge(sums, on="code", how="left")

    def by_month(self, f: Filters) -> pd.DataFrame:
        d = self._facts(self.d, f)
        month = d["date"].dt.to_period("M").dt.to_timestamp()
        return d.groupby([month, d["item"]])["quantity"].sum().reset_index()

    def funding_by_funder(self, f: Filters) -> pd.DataFrame:
        fu = self._funding(f)
        return fu.groupby("funder")["amount_eur"].agg(["sum", "count"]).reset_index()

    def target_progress(self, f: Filters) -> pd.DataFrame:
        """Achieved per target; under a territory filter, the target pro rata of population
        (the explicit territorial targets of the real rule are ignored here)."""
        keys = ["programme_id", "item", "public", "operator", "commune_code", "ept_code"]
        d = self._facts(self.d, f).groupby(keys, dropna=False)["quantity"].sum().reset_index()
        fu = self._funding(f)
        fu = fu.assign(ept_code=fu["ept_of_commune"].fillna(fu["ept_code"]), n=1)
        fu = (
            fu.groupby(["programme_id", "funder", "commune_code", "ept_code"], dropna=False)[
                ["amount_eur", "n"]
            ]
            .sum()
            .reset_index()
        )
        p = self._facts(self.p, f).groupby(["programme_id", "commune_code", "ept_code"])
        p = p["posts"].sum().reset_index()
        targets = self.targets
        if f.programmes:
            targets = targets[targets["programme_id"].isin(f.programmes)]
        share = 1.0
        if f.has_territory:
            chosen = self.communes
            if f.ept:
                chosen = chosen[chosen["ept_code"] == f.ept]
            if f.communes:
                chosen = chosen[chosen["code"].isin(f.communes)]
            share = chosen["population"].sum() / self.communes["population"].sum()
        achieved = []
        for t in targets.itertuples():
            if t.indicator == "quantite":
                rows = d[d["programme_id"] == t.programme_id]
                for column in ("item", "public", "operator"):
                    if not pd.isna(getattr(t, column)):
                        rows = rows[rows[column] == getattr(t, column)]
                value_column = "quantity"
            elif t.indicator in ("montant", "projets"):
                rows = fu[fu["programme_id"] == t.programme_id]
                if not pd.isna(t.funder):
                    rows = rows[rows["funder"] == t.funder]
                value_column = "amount_eur" if t.indicator == "montant" else "n"
            else:
                rows = p[p["programme_id"] == t.programme_id]
                value_column = "posts"
            if not f.has_territory and t.scope == "ept":
                rows = rows[rows["ept_code"] == t.scope_code]
            elif not f.has_territory and t.scope == "commune":
                rows = rows[rows["commune_code"] == t.scope_code]
            achieved.append(float(rows[value_column].sum()))
        return targets.assign(target_share=targets["target_value"] * share, achieved=achieved)


# pandas figure → the SQL query the pages run for the same figure.
FIGURES = {
    "key_figures": "key_figures",
    "by_item": "distributions_by_item",
    "by_commune": "distributions_by_commune",
    "by_month": "distributions_by_month",
    "target_progress": "target_progress",
    "funding_by_funder": "territory_funding_by_funder",
}
FIGURE_LABELS = {
    "key_figures": "Chiffres clés",
    "by_item": "Quantités par type d'aide",
    "by_commune": "Quantités par commune",
    "by_month": "Quantités par mois",
    "target_progress": "Avancement des objectifs",
    "funding_by_funder": "Financements par financeur",
}


def _agree(figure: str, pandas_result, sql: pd.DataFrame, has_territory: bool) -> bool:
    """Does the pandas figure give the same numbers as the page's query?"""
    if figure == "key_figures":
        row = sql.iloc[0]
        return all(
            abs(float(row[k]) - float(v)) < 0.01 for k, v in pandas_result.items() if k in row
        )
    if figure == "by_item":
        return dict(zip(sql["item"], sql["quantity"].astype(int), strict=True)) == dict(
            zip(pandas_result["item"], pandas_result["quantity"].astype(int), strict=True)
        )
    if figure == "by_commune":
        left = sql.set_index("code")["items_distributed"].fillna(0).astype(int)
        right = pandas_result.set_index("code")["items"].fillna(0).astype(int)
        return left.sort_index().equals(right.sort_index())
    if figure == "by_month":
        return len(sql) == len(pandas_result) and int(sql["quantity"].sum()) == int(
            pandas_result["quantity"].sum()
        )
    if figure == "funding_by_funder":
        left = sql.set_index("funder")["amount_eur"].round(2).sort_index()
        right = pandas_result.set_index("funder")["sum"].round(2).sort_index()
        return left.index.equals(right.index) and bool(((left - right).abs() < 0.01).all())
    if figure == "target_progress":
        if has_territory:  # the pandas version does not apply the territorial share rule
            return None
        return sorted(round(x, 2) for x in sql["achieved"]) == sorted(
            round(x, 2) for x in pandas_result[pandas_result["target_value"] > 0]["achieved"]
        )
    return False


def compare_pandas(db: Path, repeats: int) -> dict:
    rss_before = rss_mib()
    load_seconds, dash = _seconds(PandasDashboard, db)
    load = {
        "seconds": load_seconds,
        "rss_mib_added": rss_mib() - rss_before,
        "rows": len(dash.d),
    }
    rows = []
    for view, query_params in VIEWS.items():
        filters = Filters.from_query(query_params)
        for figure, query_name in FIGURES.items():
            params = filters.params() | {"today": TODAY}
            compute = getattr(dash, figure)
            sql_result = warehouse.run(query_name, params, db)
            pandas_result = compute(filters)
            samples = {"sql": [], "pandas": [], "sql_records": []}
            warehouse.run(query_name, params, db, facts="records")
            for _ in range(repeats):
                samples["sql"].append(_seconds(warehouse.run, query_name, params, db)[0])
                samples["pandas"].append(_seconds(compute, filters)[0])
                samples["sql_records"].append(
                    _seconds(warehouse.run, query_name, params, db, "records")[0]
                )
            stats = {key: summary(values) for key, values in samples.items()}
            rows.append(
                {
                    "view": view,
                    "figure": figure,
                    "label": FIGURE_LABELS[figure],
                    "query": query_name,
                    **stats,
                    "ratio": stats["pandas"]["median"] / stats["sql"]["median"],
                    "ratio_records": stats["pandas"]["median"] / stats["sql_records"]["median"],
                    "agree": _agree(figure, pandas_result, sql_result, filters.has_territory),
                }
            )
    return {"load": load, "figures": rows}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-pandas", action="store_true", help="page queries only")
    parser.add_argument(
        "--pages", help="only these pages, comma-separated (views/need.py,views/territory.py)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    captured = capture(args.db, only=tuple(filter(None, (args.pages or "").split(","))))
    capture_seconds = time.perf_counter() - started
    report = {
        "db": str(args.db),
        "capture_seconds": capture_seconds,
        "pages": {view: list(pages) for view, pages in captured.items()},
        "page_queries": time_page_queries(args.db, captured, args.repeats),
    }
    if not args.no_pandas:
        report["pandas"] = compare_pandas(args.db, args.repeats)
    report["peak_rss_mib"] = _peak_mib()
    text = json.dumps(report, ensure_ascii=False, indent=1, default=str)
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    print(text)
    return report


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
