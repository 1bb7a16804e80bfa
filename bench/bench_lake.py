"""The same warehouse on a DuckLake beside the file: load time and every page query.

    .venv/bin/python bench/bench_lake.py --db bench/out/echelle/entrepot-1000000.duckdb \
        --csv bench/out/echelle/distributions-1000000.csv [--repeats 5]

A PostgreSQL is started for the run (bench/local_postgres.py). Measured, on lakes of their
own: moving the generated warehouse file into a lake (`etl exporter` then `etl importer`),
loading the CSV into an empty lake (the file's load is bench_load's), and every query the
pages run (captured from the pages on the file, as bench_queries does), timed on the file and
on the lake in turn with the same parameters. Prints one JSON report; {"skipped": …} when
PostgreSQL is not installed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (ROOT, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_queries import capture, summary, time_page_queries  # noqa: E402
from local_postgres import local_postgres, postgres_bin  # noqa: E402

from etl.build import init_warehouse  # noqa: E402
from etl.lake import export_warehouse, import_warehouse  # noqa: E402
from etl.load import load_file  # noqa: E402


def _timed(func, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - started, result


def measure(db: Path, csv: Path | None, repeats: int, load_repeats: int) -> dict:
    report: dict = {"db": str(db)}
    work = Path(tempfile.mkdtemp(prefix="bench-lake-"))
    try:
        with local_postgres() as server:
            # Moving the file into a lake.
            seconds_out, _ = _timed(export_warehouse, db, work / "export")
            lake = server.new_lake(work)
            seconds_in, imported = _timed(import_warehouse, lake, work / "export")
            report["move"] = {
                "export_s": seconds_out,
                "import_s": seconds_in,
                "rows": sum(imported.rows.values()),
            }
            # Loading the CSV into an empty lake, on a fresh lake each time.
            if csv is not None:
                runs = []
                for _ in range(load_repeats):
                    empty = server.new_lake(work)
                    init_warehouse(empty, with_demo=False)
                    seconds, result = _timed(load_file, empty, "distributions", csv)
                    runs.append(seconds)
                report["load"] = {"seconds": summary(runs), "rows_loaded": result.rows_loaded}
            # Every page query, the same parameters on both.
            captured = capture(db)
            report["file"] = time_page_queries(db, captured, repeats)
            report["lake"] = time_page_queries(lake, captured, repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the generated warehouse file")
    parser.add_argument("--csv", type=Path, help="the generated CSV, loaded into an empty lake")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--load-repeats", type=int, default=1)
    args = parser.parse_args(argv)
    if postgres_bin() is None:
        report = {"skipped": "PostgreSQL introuvable (apt-get install postgresql)"}
    else:
        report = measure(args.db, args.csv, args.repeats, args.load_repeats)
    print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    return report


if __name__ == "__main__":
    main()
