"""Benchmark of the file loader: a seeded 1 000 000-row distributions CSV.

Reports, in one run, the time ``load_file`` takes (reading, checking every row, inserting,
recording the rejects, committing) against the time DuckDB alone takes to read the same file
into a table of a fresh database file, and the peak memory of each (each runs in its own
subprocess, which reports its ``ru_maxrss``). Targets: load ≤ 2 × DuckDB alone at 1 000 000
rows, peak < 1 GiB even at 10 000 000.

    .venv/bin/python bench/bench_load.py [--rows 1000000] [--seed 93] [--repeat 3]
    .venv/bin/python bench/bench_load.py --csv FILE --repeat 1   # an existing CSV (10 000 000
        # rows: bench/generate.py --rows 10000000 --db ... --csv FILE)

Results are recorded in bench/README.md (section « Chargement »).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Values as real exports write them: codes, postal codes and names (with and without
# article, St for Saint, former communes), French and ISO dates, item synonyms, thousands
# separators. About 1 % of the rows break a rule, so the reject path is measured too.
COMMUNES = [
    "93001", "93005", "93006", "93008", "93010", "93027", "93029", "93031", "93048", "93055",
    "93059", "93066", "93070", "93071", "93072", "93073", "93078", "93200", "93300", "93100",
    "Aubervilliers", "Saint-Denis", "St Denis", "Montreuil", "Blanc-Mesnil", "La Courneuve",
    "Pierrefitte-sur-Seine", "Épinay-sur-Seine", "Bobigny", "Noisy-le-Sec", "L'Île-Saint-Denis",
]  # fmt: skip
PROGRAMMES = ["emmaus-connect-2020", "Emmaüs Connect 2020", "etat-2020-reconditionnement"]
ITEMS = [
    "tablette", "ordinateur", "PC portable reconditionné", "carte SIM prépayée",
    "smartphone", "recharge", "accompagnement", "Tablettes",
]  # fmt: skip
PUBLICS = ["collégiens", "allocataires RSA", "usagers SSD et CAF", ""]
BAD = [
    ("commune", "Paris 19e"),
    ("commune", "Neuilly"),
    ("item", "vélo"),
    ("quantity", "-2"),
    ("quantity", "1,5"),
    ("date", "31/02/2021"),
    ("programme", "inconnu"),
]


def generate(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    header = "Date;Commune;Programme;Matériel;Quantité;Public;Opérateur\n"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        lines = []
        for _ in range(rows):
            year = rng.randint(2020, 2024)
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            date = (
                f"{day:02d}/{month:02d}/{year}"
                if rng.random() < 0.6
                else f"{year}-{month:02d}-{day:02d}"
            )
            quantity = rng.randint(1, 2500)
            values = {
                "date": date,
                "commune": rng.choice(COMMUNES),
                "programme": rng.choice(PROGRAMMES),
                "item": rng.choice(ITEMS),
                "quantity": f"{quantity:,}".replace(",", "\u202f"),
                "public": rng.choice(PUBLICS),
                "operator": "Emmaüs Connect",
            }
            if rng.random() < 0.01:
                column, value = rng.choice(BAD)
                values[column] = value
            lines.append(";".join(values.values()) + "\n")
            if len(lines) >= 50_000:
                handle.writelines(lines)
                lines.clear()
        handle.writelines(lines)


def _peak_mib() -> float:
    """This process's peak resident memory. On Linux, VmHWM: ru_maxrss survives execve, so a
    child of a large benchmark process reported its parent's peak (6,9 Gio for DuckDB alone
    reading 1 Mio of CSV)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        return int(status.split("VmHWM:")[1].split()[0]) / 1024  # kB
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child_duckdb(csv_path: str, db_path: str) -> dict:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(db_path)
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [csv_path])
    rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    con.close()
    return {"seconds": time.perf_counter() - started, "rows": rows, "peak_mib": _peak_mib()}


def child_load(csv_path: str, db_path: str) -> dict:
    from etl.load import load_file

    started = time.perf_counter()
    result = load_file(Path(db_path), "distributions", Path(csv_path))
    return {
        "seconds": time.perf_counter() - started,
        "rows_read": result.rows_read,
        "rows_loaded": result.rows_loaded,
        "rows_rejected": result.rows_rejected,
        "peak_mib": _peak_mib(),
    }


def _run_child(*args: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["wall_seconds"] = time.perf_counter() - started
    return report


def _times(reports: list[dict]) -> str:
    return ", ".join(f"{r['seconds']:.2f}" for r in reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=93)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--repeat", type=int, default=3, help="essais (médiane)")
    parser.add_argument(
        "--csv", type=Path, help="mesurer ce CSV de distributions au lieu d'en générer un"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        which, csv_path, db_path = args.child
        report = (child_duckdb if which == "duckdb" else child_load)(csv_path, db_path)
        print(json.dumps(report))
        return

    from etl.build import init_warehouse

    args.out.mkdir(parents=True, exist_ok=True)
    if args.csv is not None:
        csv_path = args.csv
        print(f"Fichier : {csv_path.name}, {csv_path.stat().st_size / 2**20:.0f} Mio")
    else:
        csv_path = args.out / f"distributions-{args.rows}-{args.seed}.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows, args.seed)
        print(
            f"Fichier : {csv_path.name}, {args.rows} lignes, "
            f"{csv_path.stat().st_size / 2**20:.0f} Mio "
            f"(généré en {time.perf_counter() - started:.1f} s)"
        )
    plain_db = args.out / "duckdb-seul.duckdb"
    load_db = args.out / "entrepot.duckdb"
    ducks, loads = [], []
    for _ in range(args.repeat):  # alternate the two, on a fresh database each time
        for db in (plain_db, load_db):
            for suffix in ("", ".wal"):
                Path(str(db) + suffix).unlink(missing_ok=True)
        init_warehouse(load_db, with_demo=False)
        ducks.append(_run_child("duckdb", str(csv_path), str(plain_db)))
        loads.append(_run_child("load", str(csv_path), str(load_db)))
    duck_s = statistics.median(d["seconds"] for d in ducks)
    load_s = statistics.median(d["seconds"] for d in loads)
    duck_peak = max(d["peak_mib"] for d in ducks)
    load_peak = max(d["peak_mib"] for d in loads)
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    last = loads[-1]
    ratio = load_s / duck_s
    print(
        f"Machine : {platform.machine()}, {os.cpu_count()} cœurs, charge {os.getloadavg()[0]:.1f}"
    )
    print(f"Médianes sur {args.repeat} essais alternés.")
    print(
        f"DuckDB seul (read_csv → table) : {duck_s:.2f} s "
        f"({_times(ducks)}), pic mémoire {duck_peak:.0f} Mio"
    )
    print(
        f"Chargement (load_file) : {load_s:.2f} s "
        f"({_times(loads)}), pic mémoire {load_peak:.0f} Mio "
        f"({last['rows_loaded']} chargées, {last['rows_rejected']} rejetées sur "
        f"{last['rows_read']})"
    )
    print(
        f"Rapport : {ratio:.2f} × DuckDB seul (objectif ≤ 2) ; pic des sous-processus "
        f"{children_peak:.0f} Mio (objectif < 1024)"
    )
    ok = ratio <= 2 and load_peak < 1024
    print("Objectifs atteints." if ok else "Objectifs NON atteints.")


if __name__ == "__main__":
    main()
