"""Map page and territory sheet queries, timed uncached on the demonstration warehouse and on
a 1 000 000-row warehouse (issue 4). Targets: < 50 ms per query on the demonstration
warehouse, < 300 ms on 1 000 000 rows.

    .venv/bin/python bench/bench_map.py [--rows 1000000] [--repeats 7] [--json out.json]

Each query is run with ``warehouse.run`` (a fresh read-only connection, the query, the result
as a DataFrame: what the page pays on a cache miss), after one warm-up run; the median and the
maximum of the repeats are reported. The warehouses are built in bench/out/carte/ (the large
one with bench/generate.py, seeded), with the reference contours of ../shared/reference when
present, so that the boundary query reads real geometries.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from bench.generate import generate  # noqa: E402
from core import store  # noqa: E402
from etl import boundaries  # noqa: E402
from etl.build import init_warehouse  # noqa: E402
from observatoire import warehouse  # noqa: E402
from observatoire.filters import Filters  # noqa: E402

OUT = ROOT / "bench" / "out" / "carte"
CONTOURS = ROOT.parent / "shared" / "reference" / "communes-93.geojson"
MONTREUIL, EST_ENSEMBLE = "93048", "200057875"
LIMITS_MS = {"démonstration": 50, "1 000 000 lignes": 300}


def queries() -> list[tuple[str, str, dict]]:
    """(label, query name, parameters): what the map page and the sheet run."""
    everything = Filters().params()
    montreuil = Filters(communes=(MONTREUIL,)).params()
    est = Filters(ept=EST_ENSEMBLE).params()
    out = []
    for level in ("commune", "ept"):
        for measure, key in (
            ("personnes", None),
            ("quantite", None),
            ("quantite", "ordinateur"),
            ("euros", None),
            ("postes", None),
        ):
            label = f"map_values {level} {measure}" + (f" {key}" if key else "")
            out.append(
                (label, "map_values", everything | {"level": level, "measure": measure, "key": key})
            )
        out.append((f"map_boundaries {level}", "map_boundaries", {"level": level}))
        out.append(
            (
                f"target_territory_progress {level}",
                "target_territory_progress",
                everything | {"level": level, "today": None},
            )
        )
    out.append(
        (
            "map_values commune personnes (EPT filtré)",
            "map_values",
            est | {"level": "commune", "measure": "personnes", "key": None},
        )
    )
    out.append(("map_funders", "map_funders", everything))
    out.append(("key_figures (fiche Montreuil)", "key_figures", montreuil))
    out.append(
        ("target_progress (fiche Montreuil)", "target_progress", montreuil | {"today": None})
    )
    for name in (
        "distributions_by_item",
        "territory_programme_months",
        "territory_funding_by_funder",
        "territory_records",
    ):
        out.append((f"{name} (fiche Montreuil)", name, montreuil))
    return out


def _with_contours(db: Path) -> None:
    if not CONTOURS.exists():
        return
    con = duckdb.connect(str(db))
    try:
        store.migrate(con)
        boundaries.load_file(con, CONTOURS)
    finally:
        con.close()


def build(rows: int) -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    demo = OUT / "demonstration.duckdb"
    large = OUT / f"w-{rows}.duckdb"
    if not demo.exists():
        init_warehouse(demo, with_demo=True)
        _with_contours(demo)
    if not large.exists():
        generate(large, rows)
        _with_contours(large)
    return {"démonstration": demo, f"{rows:,} lignes".replace(",", " "): large}


def measure(db: Path, repeats: int) -> list[dict]:
    results = []
    for label, name, params in queries():
        if "today" in params:
            params = params | {"today": date(2026, 1, 1)}
        warehouse.run(name, params, db)  # warm-up (file cache, plan)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            frame = warehouse.run(name, params, db)
            times.append((time.perf_counter() - start) * 1000)
        results.append(
            {
                "query": label,
                "rows": len(frame),
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
            }
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="distribution records")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per query")
    parser.add_argument("--json", type=Path, help="write the results as JSON")
    args = parser.parse_args(argv)
    report = {}
    failed = False
    for label, db in build(args.rows).items():
        results = measure(db, args.repeats)
        limit = LIMITS_MS.get(label, 300)
        report[label] = {"db": str(db), "limit_ms": limit, "queries": results}
        print(f"\n## {label} (limite {limit} ms par requête)\n")
        print("| requête | lignes | médiane (ms) | max (ms) |")
        print("|---|---:|---:|---:|")
        for r in results:
            print(f"| {r['query']} | {r['rows']} | {r['median_ms']} | {r['max_ms']} |")
            failed |= r["median_ms"] > limit
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
