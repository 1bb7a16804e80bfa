"""Every territory fiche at once (issue 14): `python -m observatoire.fiches` writing the 43
one-page PDFs (39 communes + 4 EPT) into a ZIP, on the demonstration warehouse with the
official contours that init loads (else the schematic map).

    .venv/bin/python bench/bench_fiches.py [--repeats 3] [--no-write] [--ept CODE]

Each run is a fresh process, as a user would start it (imports, font preparation on the first
run of the machine, queries, PDFs, ZIP): wall time, CPU time of the process and the load
of the machine. The results replace the « ## Fiches PDF » section of bench/README.md.
Objective: under a minute for the 43.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

README = ROOT / "bench" / "README.md"
SECTION = "## Fiches PDF"
OBJECTIVE_S = 60.0


def _warehouse(folder: Path) -> tuple[Path, bool]:
    """The demonstration warehouse; init loads the committed official contours (the same
    file as ../shared/reference/communes-93.geojson), so the fiches draw the real map."""
    import duckdb

    from etl.build import init_warehouse

    db = folder / "demo.duckdb"
    init_warehouse(db, with_demo=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        contours = con.execute("SELECT count(*) FROM boundaries").fetchone()[0] > 0
    finally:
        con.close()
    return db, contours


def measure(db: Path, target: Path, ept: str | None = None) -> dict:
    """One run of the CLI in its own process (only EPT's fiches when given)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "observatoire.fiches", "--sortie", str(target)]
        + (["--ept", ept] if ept else []),
        cwd=ROOT,
        env={**os.environ, "OBSERVATOIRE_DB": str(db)},
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with zipfile.ZipFile(target) as archive:
        count = len([n for n in archive.namelist() if n.endswith(".pdf")])
    return {
        "seconds": seconds,
        "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "load_before": load,
        "pdfs": count,
        "zip_bytes": target.stat().st_size,
    }


def section(runs: list[dict], contours: bool) -> str:
    from observatoire import fmt

    wall = [r["seconds"] for r in runs]
    cpu = [r["cpu_seconds"] for r in runs]
    median = statistics.median(wall)
    return "\n".join(
        [
            SECTION,
            "",
            "`bench/bench_fiches.py` : `python -m observatoire.fiches --sortie fiches.zip`, "
            "les 43 fiches (39 communes et 4 EPT, une page A4 chacune) dans un ZIP, sur "
            "l'entrepôt de démonstration "
            + ("avec les contours officiels" if contours else "(carte schématique)")
            + ", chaque passage dans un processus neuf (imports, requêtes, PDF, ZIP).",
            "",
            f"- Date : {datetime.now():%Y-%m-%d %H:%M} ; {os.cpu_count()} cœurs, machine "
            "partagée : charge moyenne sur 1 min au départ de chaque passage : "
            + ", ".join(fmt.number(r["load_before"], 1) for r in runs)
            + ".",
            "",
            "| Passages | Durée, médiane (min–max) | Temps processeur, médiane | PDF | ZIP |",
            "|---:|---:|---:|---:|---:|",
            f"| {len(runs)} | {fmt.number(median, 1)} s ({fmt.number(min(wall), 1)}–"
            f"{fmt.number(max(wall), 1)}) | {fmt.number(statistics.median(cpu), 1)} s | "
            f"{runs[-1]['pdfs']} | {fmt.number(runs[-1]['zip_bytes'] / 1024)} Kio |",
            "",
            "Objectif : moins d'une minute pour les 43 ("
            + ("tenu" if median < OBJECTIVE_S else "non tenu")
            + " en médiane). Le temps processeur dit ce que coûte le travail lui-même quand la "
            "machine est chargée par d'autres travaux.",
            "",
        ]
    )


def write_section(text: str) -> None:
    """Replace this benchmark's section only, re-reading the file just before."""
    readme = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    if SECTION + "\n" in readme:
        before, rest = readme.split(SECTION + "\n", 1)
        after = rest.split("\n## ", 1)
        readme = before + text + ("\n## " + after[1] if len(after) > 1 else "")
    else:
        readme = readme.rstrip() + "\n\n" + text
    README.write_text(readme, encoding="utf-8")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ept", help="only this EPT's fiches (a quick check, not the objective)")
    parser.add_argument("--no-write", action="store_true", help="n'écrit pas bench/README.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db, contours = _warehouse(Path(tmp))
        runs = [measure(db, Path(tmp) / f"fiches-{i}.zip", args.ept) for i in range(args.repeats)]
    text = section(runs, contours)
    print(text)
    if not args.no_write:
        write_section(text)
    return {"runs": runs, "contours": contours}


if __name__ == "__main__":
    main()
