"""Export latency (issue 6): the first PNG export (kaleido starts its Chromium) and the next
ones (the engine is reused), for the map and for a bar chart, on the demonstration warehouse,
with the schematic map and with official contours.

    .venv/bin/python bench/bench_exports.py [--contours communes.geojson] [--repeats 5]

Each case runs in a fresh Python process, so that « first » really is a cold engine. The
results replace the « ## Exports » section of bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

README = ROOT / "bench" / "README.md"
SECTION = "## Exports"


def _figure(kind: str):
    from observatoire import charts, exports, warehouse
    from observatoire.filters import Filters
    from observatoire.map import choices as map_choices
    from observatoire.map import figure as map_figure
    from observatoire.map import shapes as map_shapes

    filters = Filters()
    if kind == "barres":
        fig = charts.items_bar(warehouse.distributions_by_item(filters))
    else:
        choices = map_choices.MapChoices(indicator="personnes").checked()
        view = map_choices.prepare(warehouse.map_values(filters, "commune", "personnes"), choices)
        shapes, outlines, labels, schematic = map_shapes.shapes_for(
            warehouse.map_boundaries("commune"),
            warehouse.map_boundaries("ept"),
            view.table,
            "commune",
            warehouse.territories(),
        )
        fig = map_figure.territory_map(view, shapes, outlines, labels=labels, schematic=schematic)
    return exports.press_figure(
        fig, title="Banc d'essai", source=exports.source_text("banc", None), demo=True
    )


def measure(kind: str, repeats: int) -> dict:
    """In this process: time the first and the next PNG exports of one figure."""
    from observatoire import exports

    figure = _figure(kind)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        png = exports.render_image(figure, "png")
        times.append(time.perf_counter() - start)
    return {"first": times[0], "next": times[1:], "bytes": len(png)}


def _run_case(db: Path, kind: str, repeats: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--repeats", str(repeats)],
        cwd=ROOT,
        env={"OBSERVATOIRE_DB": str(db), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _table(results: dict[str, dict]) -> list[str]:
    def ms(value: float) -> str:
        return f"{value * 1000:,.0f}".replace(",", "\u00a0")

    lines = [
        "| Figure | Premier export PNG (ms) | Exports suivants, médiane (min–max) (ms) | PNG |",
        "|---|---:|---:|---:|",
    ]
    for name, r in results.items():
        nxt = r["next"]
        lines.append(
            f"| {name} | {ms(r['first'])} | {ms(statistics.median(nxt))} "
            f"({ms(min(nxt))}–{ms(max(nxt))}) | {r['bytes'] // 1024} Kio |"
        )
    return lines


def write_section(results: dict[str, dict], repeats: int) -> None:
    body = [
        SECTION,
        "",
        "`bench/bench_exports.py` : durée d'un export PNG (communiqué 1 200 × 800, échelle 2) "
        "rendu par kaleido avec le Chromium du système, la première fois (moteur à démarrer, "
        "processus neuf) puis les suivantes (moteur réutilisé), sur l'entrepôt de "
        "démonstration.",
        "",
        f"- Date : {datetime.now():%Y-%m-%d %H:%M} ; machine : {platform.processor() or 'x86_64'}"
        f", 2 cœurs, 24 Gio (partagée avec d'autres travaux) ; {repeats} exports suivants.",
        "",
        *_table(results),
        "",
        "Objectif : un second export de la même figure bien en dessous d'une seconde.",
        "",
    ]
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    if SECTION in text:
        before, rest = text.split(SECTION, 1)
        after = rest.split("\n## ", 1)
        text = before + "\n".join(body) + ("\n## " + after[1] if len(after) > 1 else "")
    else:
        text = text.rstrip() + "\n\n" + "\n".join(body)
    README.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contours", type=Path, help="GeoJSON des communes (contours officiels)")
    parser.add_argument("--repeats", type=int, default=5, help="exports suivants mesurés")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="n'écrit pas bench/README.md")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeats)))
        return

    from core.store import writer
    from etl import boundaries
    from etl.build import init_warehouse

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        init_warehouse(db, with_demo=True)
        results = {
            "Diagramme en barres": _run_case(db, "barres", args.repeats),
            "Carte schématique (39 communes)": _run_case(db, "carte", args.repeats),
        }
        if args.contours:
            with writer(db) as con:
                boundaries.load_file(con, args.contours)
            results["Carte, contours officiels"] = _run_case(db, "carte", args.repeats)
    for line in _table(results):
        print(line)
    if not args.no_write:
        write_section(results, args.repeats)


if __name__ == "__main__":
    main()
