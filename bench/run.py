"""Scale benchmarks (issue 7), in one run: `make bench` (10 000 and 1 000 000 records) or
`make bench SCALE=full` / `bench/run.py --full` (adds 10 000 000 records).

    .venv/bin/python bench/run.py [--full] [--scales 10000,1000000] [--repeats 5]
                                  [--skip load,queries,app,fiches] [--no-write]
    .venv/bin/python bench/run.py --smoke   # `make bench-smoke`, run by CI

For each scale: a seeded warehouse and CSV (bench/generate.py); the load of that CSV by the
ETL against DuckDB alone (bench/bench_load.py's measurements, each in its own subprocess,
peak memory from the child); every page query against a typical pandas dashboard
(bench/bench_queries.py, in a subprocess); the app in Chromium (bench/bench_app.py: start
against an empty app, server memory after every page, and on 1 000 000 records the filter
change). Raw results go to bench/out/echelle/resultats.json; the « Échelle » section of
bench/README.md is rewritten from them (the other sections are left as they are). Then the 43
territory fiches in a ZIP (bench/bench_fiches.py, its own « Fiches PDF » section).

--smoke proves that every step still runs, not how fast: each step once on a warehouse of
3 000 records (the app's filter change included) and the fiches of one EPT; results and the
rendered section in a temporary folder, bench/README.md left alone; any failure fails the run.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for path in (ROOT, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import bench_load  # noqa: E402  (its child measurements are reused as they are)
from bench_queries import summary  # noqa: E402  (one definition of median and spread)
from generate import generate  # noqa: E402

from etl.build import init_warehouse  # noqa: E402
from observatoire import fmt, warehouse  # noqa: E402

OUT = BENCH / "out" / "echelle"
README = BENCH / "README.md"
HEADING = "## Échelle"
DEFAULT_SCALES = (10_000, 1_000_000)
FULL_SCALE = 10_000_000
TARGET_SCALE = 1_000_000  # the targets hold on this warehouse unless said
INTERACTION_SCALE = 1_000_000
SMOKE_SCALE = 3_000
SMOKE_EPT = "200057875"  # Est Ensemble: its 10 fiches stand for the 43 in the smoke pass
SEED = 93

# The targets of issue 7.
LOAD_RATIO_MAX = 2.0
LOAD_PEAK_MIB_MAX = 1024
QUERY_MS_MAX = 100
PANDAS_RATIO_MIN = 10
START_RATIO_MAX = 1.5
SERVER_MIB_MAX = 500
INTERACTION_S_MAX = 1.0


# Running -------------------------------------------------------------------------------------


def _child(args: list[str], timeout_s: float = 7200) -> dict:
    """Run a benchmark script in its own process; its last stdout line… is JSON."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} a échoué :\n{done.stderr[-3000:]}")
    text = done.stdout
    return json.loads(text[text.index("{") :])


def measure_load(csv: Path, rows: int, repeats: int) -> dict:
    """bench_load's two children, alternating, each on a fresh database file."""
    # Built anew for each measure: a template left by an older version of the project would
    # have its migrations applied inside the measured load (9 s instead of 3 s at 1 000 000).
    template = OUT / "vide.duckdb"
    for suffix in ("", ".wal"):
        Path(f"{template}{suffix}").unlink(missing_ok=True)
    init_warehouse(template, with_demo=False)
    plain, loaded = OUT / "duckdb-seul.duckdb", OUT / "chargement.duckdb"
    runs: dict[str, list[dict]] = {"duckdb": [], "load": []}
    for _ in range(repeats):
        for which, db in (("duckdb", plain), ("load", loaded)):
            for suffix in ("", ".wal"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            if which == "load":
                shutil.copy(template, db)
            runs[which].append(bench_load._run_child(which, str(csv), str(db)))
    last = runs["load"][-1]
    if last["rows_loaded"] != rows:
        raise RuntimeError(f"chargement incomplet : {last}")
    report = {
        which: {
            "seconds": summary([r["seconds"] for r in results]),
            "peak_mib": max(r["peak_mib"] for r in results),
        }
        for which, results in runs.items()
    }
    report["ratio"] = report["load"]["seconds"]["median"] / report["duckdb"]["seconds"]["median"]
    report["rows_loaded"] = last["rows_loaded"]
    report["csv_mib"] = csv.stat().st_size / 2**20
    for db in (plain, loaded):
        for suffix in ("", ".wal"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return report


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    try:
        chromium = subprocess.run(
            ["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except OSError:
        chromium = "absent"
    versions = {
        name: importlib.metadata.version(name)
        for name in ("duckdb", "streamlit", "pandas", "plotly", "playwright")
    }
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": mem_kib / 2**20,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "chromium": chromium,
        "versions": versions,
        "commit": commit,
    }


STEP_NAMES = {
    "load": "chargement",
    "queries": "requêtes des pages et pandas",
    "app": "application dans Chromium",
    "lake": "DuckLake à côté du fichier",
}


def _save(results: dict) -> None:
    (OUT / "resultats.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )


def _measure(step: str, rows: int, db: Path, csv: Path, repeats: int, interaction_at: int) -> dict:
    if step == "load":  # minutes per load at 10 000 000: fewer repeats there (shown)
        return measure_load(csv, rows, repeats if rows < FULL_SCALE else 3)
    if step == "queries":
        return _child([str(BENCH / "bench_queries.py"), "--db", str(db), "--repeats", str(repeats)])
    if step == "lake":  # a PostgreSQL of its own; skipped (said so) when not installed
        return _child(
            [str(BENCH / "bench_lake.py"), "--db", str(db), "--csv", str(csv)]
            + ["--repeats", str(repeats)]
        )
    only = "start,memory" + (",interaction" if rows == interaction_at else "")
    sessions = ["--sessions", "1"] if repeats == 1 else []
    return _child(
        [str(BENCH / "bench_app.py"), "--db", str(db), "--repeats", str(repeats), "--only", only]
        + sessions
    )


def run(
    scales: list[int],
    repeats: int,
    skip: set[str],
    merge: bool = False,
    interaction_at: int = INTERACTION_SCALE,
) -> dict:
    """Measure each scale; with `merge`, keep the other scales of the last results file
    (e.g. 10 000 000 measured apart from the default pass), each scale with its own date.
    The app's filter change is measured at the scale `interaction_at` only."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "vide.duckdb").unlink(missing_ok=True)  # rebuilt with today's migrations
    results: dict = {
        "date": datetime.now().isoformat(timespec="minutes"),
        "machine": machine(),
        "repeats": repeats,
        "scales": {},
    }
    previous = OUT / "resultats.json"
    if merge and previous.exists():
        before = json.loads(previous.read_text(encoding="utf-8"))
        results["scales"] = {
            n: {"date": before["date"]} | s
            for n, s in before["scales"].items()
            if int(n) not in scales
        }
    for rows in scales:
        started = time.perf_counter()
        scale: dict = {
            "date": datetime.now().isoformat(timespec="minutes"),
            "load_average_before": os.getloadavg(),
        }
        results["scales"][str(rows)] = scale
        db, csv = OUT / f"entrepot-{rows}.duckdb", OUT / f"distributions-{rows}.csv"
        print(f"[{rows}] génération…", flush=True)
        scale["generated"] = generate(db, rows, SEED, csv)
        scale["step_seconds"] = {"generate": time.perf_counter() - started}
        for step in STEP_NAMES:
            if step in skip:
                continue
            print(f"[{rows}] {STEP_NAMES[step]}…", flush=True)
            step_started = time.perf_counter()
            try:
                scale[step] = _measure(step, rows, db, csv, repeats, interaction_at)
            except Exception as error:  # recorded; the other measurements go on
                scale.setdefault("errors", {})[step] = str(error)[-2000:]
                print(f"[{rows}] {STEP_NAMES[step]} : échec ({error})"[:500], flush=True)
            scale.setdefault("step_seconds", {})[step] = time.perf_counter() - step_started
            _save(results)
        csv.unlink(missing_ok=True)
        scale["load_average_after"] = os.getloadavg()
        scale["seconds"] = time.perf_counter() - started
        _save(results)
        print(f"[{rows}] fait en {scale['seconds']:.0f} s", flush=True)
    results["children_peak_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return results


# Writing bench/README.md ---------------------------------------------------------------------


def _n(rows: int | str) -> str:
    return fmt.number(int(rows))


def _ms(stats: dict) -> str:
    return (
        f"{fmt.number(stats['median'] * 1000)} "
        f"({fmt.number(stats['min'] * 1000)}–{fmt.number(stats['max'] * 1000)})"
    )


def _s(stats: dict, digits: int = 2) -> str:
    return (
        f"{fmt.number(stats['median'], digits)} "
        f"({fmt.number(stats['min'], digits)}–{fmt.number(stats['max'], digits)})"
    )


def _x(ratio: float, digits: int = 2) -> str:
    return f"{fmt.number(ratio, digits if ratio < 10 else 0)} ×"


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("✅" if ok else "❌")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _verdicts(results: dict) -> list[list[str]]:
    scales = results["scales"]
    target = scales.get(str(TARGET_SCALE), {})
    largest = scales[max(scales, key=int)]
    largest_n = _n(max(scales, key=int))
    rows = []
    if "load" in target:
        ratio = target["load"]["ratio"]
        rows.append(
            [
                f"Chargement ≤ {fmt.number(LOAD_RATIO_MAX)} × DuckDB seul (1 000 000)",
                _x(ratio, 3),
                _mark(ratio <= LOAD_RATIO_MAX),
            ]
        )
    if "load" in largest:
        peak = largest["load"]["load"]["peak_mib"]
        rows.append(
            [
                f"Pic mémoire du chargement < 1 Gio ({largest_n})",
                f"{fmt.number(peak)} Mio",
                _mark(peak < LOAD_PEAK_MIB_MAX),
            ]
        )
    if "queries" in target:
        queries = target["queries"]["page_queries"]
        slow = [q for q in queries if q["seconds"]["median"] * 1000 >= QUERY_MS_MAX]
        worst = max(queries, key=lambda q: q["seconds"]["median"])
        rows.append(
            [
                f"Chaque requête de page < {QUERY_MS_MAX} ms en médiane (1 000 000)",
                f"{len(queries) - len(slow)} sur {len(queries)} ; la plus lente : "
                f"{worst['query']} ({worst['view']}) "
                f"{fmt.number(worst['seconds']['median'] * 1000)} ms",
                _mark(not slow),
            ]
        )
    if "queries" in largest:
        figures = largest["queries"]["pandas"]["figures"]
        low = min(f["ratio"] for f in figures)
        under = [f for f in figures if f["ratio"] < PANDAS_RATIO_MIN]
        rows.append(
            [
                f"≥ {PANDAS_RATIO_MIN} × plus rapide que pandas ({largest_n})",
                f"rapport de {_x(low)} à {_x(max(f['ratio'] for f in figures))}"
                + (
                    " ; sous l'objectif : "
                    + ", ".join(f"{f['label']}, vue {f['view']} ({_x(f['ratio'])})" for f in under)
                    if under
                    else ""
                ),
                _mark(not under),
            ]
        )
    if "app" in target and "start" in target["app"]:
        start = target["app"]["start"]
        ratio = start["ratio"]
        floor = (
            f" ; une app à un seul graphique Plotly : {_x(start['floor_ratio'])}"
            if "floor_ratio" in start
            else ""
        )
        rows.append(
            [
                f"Démarrage ≤ {fmt.number(START_RATIO_MAX, 1)} × une app vide (1 000 000)",
                _x(ratio) + floor,
                _mark(ratio <= START_RATIO_MAX),
            ]
        )
    if "app" in largest and "memory" in largest["app"]:
        mib = largest["app"]["memory"]["after_every_page_mib"]
        rows.append(
            [
                f"Mémoire du serveur après toutes les pages < {SERVER_MIB_MAX} Mo ({largest_n})",
                f"{fmt.number(mib * 1.048576)} Mo",
                _mark(mib * 1.048576 < SERVER_MIB_MAX),
            ]
        )
    inter = scales.get(str(INTERACTION_SCALE), {}).get("app", {}).get("interaction")
    if inter:
        cold = inter["cold"]["median"]
        rows.append(
            [
                f"Changement de filtre < {fmt.number(INTERACTION_S_MAX)} s dans le navigateur "
                "(1 000 000)",
                f"{fmt.number(cold, 2)} s (non mis en cache), "
                f"{fmt.number(inter['warm']['median'], 2)} s (en cache)",
                _mark(cold < INTERACTION_S_MAX),
            ]
        )
    return rows


def render(results: dict) -> str:
    m = results["machine"]
    scales = dict(sorted(results["scales"].items(), key=lambda item: int(item[0])))
    lines = [
        HEADING,
        "",
        "Vitesse et mémoire de l'outil de 10 000 à 10 000 000 enregistrements de distribution, "
        "mesurées côte à côte dans un même passage (`make bench`, ou `make bench SCALE=full` "
        "pour 10 000 000). Méthode, causes des écarts et passage à l'échelle au-delà d'une "
        "machine : [docs/echelle.md](../docs/echelle.md). Chiffres : médiane (min–max) sur "
        f"{results['repeats']} répétitions, sauf mention.",
        "",
        f"- Date : {results['date'].replace('T', ' ')} ; commit `{m['commit']}`",
        f"- Machine : {m['cpu']}, {m['cores']} cœurs, {fmt.number(m['memory_gib'])} Gio de "
        f"mémoire, {m['system']} ; Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f" ; {m['chromium']}",
        "- Charge de la machine (moyenne sur 1 min, avant → après chaque taille) : "
        + " ; ".join(
            f"{_n(n)} ({s.get('date', results['date']).replace('T', ' ')}) : "
            f"{fmt.number(s['load_average_before'][0], 1)} → "
            f"{fmt.number(s['load_average_after'][0], 1)}"
            for n, s in scales.items()
        )
        + ". Au-delà du nombre de cœurs, d'autres travaux tournaient en même temps : les "
        "rapports, mesurés en alternance, sont plus fiables que les durées seules.",
        "",
        "### Objectifs",
        "",
        *_table(["Objectif", "Mesure", ""], _verdicts(results)),
        "",
        "### Entrepôts générés",
        "",
        *_table(
            ["Distributions", "Financements", "Postes", "Fichier DuckDB", "Généré en"],
            [
                [
                    _n(s["generated"]["distributions"]),
                    _n(s["generated"]["funding"]),
                    _n(s["generated"]["conseillers"]),
                    f"{fmt.number(s['generated']['bytes'] / 2**20)} Mio",
                    f"{fmt.number(s['generated']['seconds'], 1)} s",
                ]
                for s in scales.values()
            ],
        ),
    ]
    loads = {n: s["load"] for n, s in scales.items() if "load" in s}
    if loads:
        lines += [
            "",
            "### Chargement d'un CSV de distributions",
            "",
            "`load_file` (lecture, contrôle de chaque ligne, insertion, rejets, validation) "
            "contre DuckDB seul lisant le même fichier dans une table (`read_csv`), chacun "
            "dans son sous-processus (mesures de bench/bench_load.py), en alternance ; pic "
            "mémoire : `ru_maxrss` du sous-processus (le plus haut des répétitions).",
            "",
            *_table(
                [
                    "Lignes",
                    "CSV",
                    "DuckDB seul (s)",
                    "Chargement (s)",
                    "Rapport",
                    "Pic DuckDB seul",
                    "Pic chargement",
                ],
                [
                    [
                        _n(n),
                        f"{fmt.number(r['csv_mib'])} Mio",
                        _s(r["duckdb"]["seconds"])
                        + (
                            ""
                            if r["duckdb"]["seconds"]["n"] == results["repeats"]
                            else f" ; n = {r['duckdb']['seconds']['n']}"
                        ),
                        _s(r["load"]["seconds"]),
                        _x(r["ratio"]),
                        f"{fmt.number(r['duckdb']['peak_mib'])} Mio",
                        f"{fmt.number(r['load']['peak_mib'])} Mio",
                    ]
                    for n, r in loads.items()
                ],
            ),
        ]
    queries = {n: s["queries"] for n, s in scales.items() if "queries" in s}
    if queries:
        first = next(iter(queries.values()))
        keyed: dict[tuple, dict] = {}
        for n, q in queries.items():
            for row in q["page_queries"]:
                key = (row["view"], row["query"], json.dumps(row["params"], sort_keys=True))
                keyed.setdefault(key, {"row": row, "by_scale": {}})["by_scale"][n] = row
        view_params = ", ".join(page.split(" (")[0] for page in first["pages"].get("défaut", []))
        lines += [
            "",
            "### Requêtes des pages",
            "",
            "Relevées, non listées à la main : chaque page de la navigation est exécutée avec "
            "AppTest (vue par défaut, vue filtrée : un EPT, un programme, une année, et la même "
            "sur une période qui coupe des mois, lue dans les résumés par mois et par jour), et "
            "chaque requête exécutée est chronométrée sans cache avec `warehouse.run` (sur la "
            "connexion en lecture seule que garde l'application). "
            f"Pages : {view_params} ; la fiche territoire est ouverte sur Saint-Denis, la "
            f"commune la plus peuplée. {_view_text(first)}. « Pages » : nombre de pages qui "
            "lancent la requête. Durées en ms.",
            "",
            *_table(
                ["Requête", "Vue", "Précision", "Pages", *(_n(n) for n in queries)],
                [
                    [
                        f"`{item['row']['query']}`",
                        item["row"]["view"],
                        _params(item["row"]["query"], item["row"]["params"], item["row"]["view"]),
                        str(len(item["row"]["pages"])),
                        *(
                            _ms(item["by_scale"][n]["seconds"])
                            + (
                                " ⚠"
                                if item["by_scale"][n]["seconds"]["median"] * 1000 >= QUERY_MS_MAX
                                else ""
                            )
                            if n in item["by_scale"]
                            else "–"
                            for n in queries
                        ),
                    ]
                    for item in keyed.values()
                ],
            ),
            "",
            f"⚠ : médiane ≥ {QUERY_MS_MAX} ms.",
            "",
            "### Chiffres principaux : requête SQL contre un tableau de bord pandas typique",
            "",
            "pandas : les tables entières lues une fois dans des DataFrames (ce que garderait "
            "`st.cache_data`), puis filtrées par masques et agrégées à chaque interaction ; "
            "seul ce calcul est chronométré, contre la requête SQL sans cache, en alternance. "
            "« Mêmes chiffres » : les résultats pandas sont comparés à ceux de la requête (pour "
            "l'avancement sous filtre territorial, pandas applique le seul prorata de population "
            "et n'est pas comparé). « SQL sur les enregistrements » : la même requête lisant les "
            "enregistrements au lieu des résumés par mois et par jour (etl/summary.py), pour "
            "montrer ce qu'apportent les résumés. Durées en ms, rapport = pandas ÷ SQL.",
            "",
            *_table(
                ["Lignes", "Chargement pandas (une fois)", "Mémoire ajoutée"],
                [
                    [
                        _n(n),
                        f"{fmt.number(q['pandas']['load']['seconds'], 1)} s",
                        f"{fmt.number(q['pandas']['load']['rss_mib_added'])} Mio",
                    ]
                    for n, q in queries.items()
                    if "pandas" in q
                ],
            ),
            "",
            *_table(
                [
                    "Chiffre",
                    "Vue",
                    "Lignes",
                    "SQL",
                    "pandas",
                    "Rapport",
                    "SQL sur les enregistrements",
                    "Rapport",
                    "Mêmes chiffres",
                ],
                [
                    [
                        f["label"] + f" (`{f['query']}`)",
                        f["view"],
                        _n(n),
                        _ms(f["sql"]),
                        _ms(f["pandas"]),
                        _x(f["ratio"]),
                        _ms(f["sql_records"]) if "sql_records" in f else "–",
                        _x(f["ratio_records"]) if "ratio_records" in f else "–",
                        {True: "oui", False: "**non**", None: "–"}[f["agree"]],
                    ]
                    for n, q in queries.items()
                    if "pandas" in q
                    for f in q["pandas"]["figures"]
                ],
            ),
        ]
    apps = {n: s["app"] for n, s in scales.items() if "app" in s}
    if apps:
        lines += [
            "",
            "### Application dans Chromium",
            "",
            "Démarrage : du lancement de `streamlit run app.py` (sur l'entrepôt de la taille "
            "indiquée) au premier graphique Plotly dessiné, contre une app vide "
            '(`st.title("x")`) lancée de la même façon jusqu\'à son titre, et contre une app '
            "« plancher » (un titre et un seul diagramme Plotly de trois barres, sans données) "
            "jusqu'à son graphique : ce que coûte n'importe quelle page à graphique Plotly, le "
            "navigateur devant charger Plotly.js (4,7 Mo) ; en alternance, navigateur déjà "
            "ouvert, contexte neuf à chaque fois (première visite, Plotly.js pas encore en "
            "cache). Secondes.",
            "",
            *_table(
                [
                    "Lignes",
                    "App vide",
                    "Plancher",
                    "Observatoire",
                    "Rapport (plancher)",
                    "dont serveur prêt (vide / Observatoire)",
                    "dont titre de la page affiché",
                    "Plotly.js chargé (plancher / Observatoire)",
                ],
                [
                    [
                        _n(n),
                        _s(a["start"]["empty"]),
                        _s(a["start"]["floor"]) if "floor" in a["start"] else "–",
                        _s(a["start"]["app"]),
                        _x(a["start"]["ratio"])
                        + (
                            f" ({_x(a['start']['floor_ratio'])})"
                            if "floor_ratio" in a["start"]
                            else ""
                        ),
                        f"{fmt.number(a['start']['empty_health']['median'], 2)} / "
                        f"{fmt.number(a['start']['app_health']['median'], 2)}",
                        fmt.number(a["start"].get("app_title", {}).get("median"), 2),
                        f"{fmt.number(a['start'].get('floor_plotly_js', {}).get('median'), 2)} / "
                        f"{fmt.number(a['start'].get('app_plotly_js', {}).get('median'), 2)}",
                    ]
                    for n, a in apps.items()
                    if "start" in a
                ],
            ),
            "",
            "Mémoire résidente du serveur (VmRSS du processus et de ses enfants), après le "
            "démarrage, la première page et la visite de chaque page de la navigation :",
            "",
            *_table(
                ["Lignes", "Démarré", "Première page", "Toutes les pages", "Pages visitées"],
                [
                    [
                        _n(n),
                        f"{fmt.number(a['memory']['after_start_mib'])} Mio",
                        f"{fmt.number(a['memory']['after_first_page_mib'])} Mio",
                        f"{fmt.number(a['memory']['after_every_page_mib'])} Mio",
                        ", ".join(a["memory"]["pages"]),
                    ]
                    for n, a in apps.items()
                    if "memory" in a
                ],
            ),
        ]
        inter = {n: a["interaction"] for n, a in apps.items() if "interaction" in a}
        if inter:
            lines += [
                "",
                "Changement de filtre : sur la vue d'ensemble, choix d'un autre EPT dans le "
                "panneau latéral jusqu'aux chiffres clés et graphiques mis à jour (fin de "
                "l'exécution du script) ; chaque EPT une première fois (requêtes non en cache) "
                "puis une seconde (en cache), sur deux sessions de serveur. Secondes.",
                "",
                *_table(
                    ["Lignes", "Non mis en cache", "En cache"],
                    [
                        [
                            _n(n),
                            _s(i["cold"]) + f" ; n = {i['cold']['n']}",
                            _s(i["warm"]) + f" ; n = {i['warm']['n']}",
                        ]
                        for n, i in inter.items()
                    ],
                ),
            ]
    lines += _lake_lines(scales)
    failures = [
        f"- {_n(n)} enregistrements, {STEP_NAMES.get(step, step)} : "
        + error.strip().splitlines()[-1][:300]
        for n, s in scales.items()
        for step, error in s.get("errors", {}).items()
    ] + [
        f"- {_n(n)} enregistrements : la page « {name} » n'avait pas fini de s'afficher "
        f"après {fmt.number(entry['seconds'])} s."
        for n, s in scales.items()
        for name, entry in s.get("app", {}).get("memory", {}).get("pages", {}).items()
        if entry.get("timeout")
    ]
    if failures:
        lines += ["", "Échecs et délais dépassés pendant ce passage :", "", *failures]
    not_run = [n for n in (*DEFAULT_SCALES, FULL_SCALE) if str(n) not in scales]
    if not_run:
        lines += [
            "",
            "Non mesuré dans ce passage : "
            + ", ".join(_n(n) for n in not_run)
            + " enregistrements (`make bench SCALE=full`).",
        ]
    return "\n".join(lines) + "\n"


def _lake_lines(scales: dict) -> list[str]:
    """The DuckLake beside the file: per scale, then every query at the largest scale."""
    lakes = {n: s["lake"] for n, s in scales.items() if "file" in s.get("lake", {})}
    skipped = {n: s["lake"]["skipped"] for n, s in scales.items() if "skipped" in s.get("lake", {})}
    if not lakes:
        return ["", f"DuckLake non mesuré : {next(iter(skipped.values()))}."] if skipped else []

    def medians(rows: list[dict]) -> list[float]:
        return [r["seconds"]["median"] for r in rows]

    def file_load(n: str) -> str:
        load = scales[n].get("load", {}).get("load")
        return _s(load["seconds"]) if load else "–"

    lines = [
        "",
        "### DuckLake (catalogue PostgreSQL, données Parquet) à côté du fichier",
        "",
        "Le même entrepôt généré, déplacé dans un DuckLake (`etl exporter` puis `etl importer`) "
        "sur un PostgreSQL 15 local démarré pour l'occasion, données Parquet sur le disque "
        "local ; chargement du CSV dans un DuckLake vide (une fois par taille) ; chaque requête "
        "des pages, mêmes paramètres, sur le fichier puis sur le DuckLake (serveur tiède, sans "
        "le cache des pages). Objectif : chaque requête sous 100 ms en médiane, DuckLake compris.",
        "",
        *_table(
            [
                "Lignes",
                "Chargement fichier (s)",
                "Chargement DuckLake (s)",
                "Export + import (s)",
                "Requêtes : médiane des médianes fichier / DuckLake (ms)",
                "Requête la plus lente fichier / DuckLake (ms)",
                "Requêtes DuckLake sous 100 ms",
            ],
            [
                [
                    _n(n),
                    file_load(n),
                    _s(lk["load"]["seconds"]) if "load" in lk else "–",
                    fmt.number(lk["move"]["export_s"] + lk["move"]["import_s"], 1),
                    f"{fmt.number(_median(medians(lk['file'])) * 1000)} / "
                    f"{fmt.number(_median(medians(lk['lake'])) * 1000)}",
                    f"{fmt.number(max(medians(lk['file'])) * 1000)} / "
                    f"{fmt.number(max(medians(lk['lake'])) * 1000)}",
                    f"{sum(m < QUERY_MS_MAX / 1000 for m in medians(lk['lake']))} sur "
                    f"{len(lk['lake'])}",
                ]
                for n, lk in lakes.items()
            ],
        ),
    ]
    largest = max(lakes, key=int)
    lk = lakes[largest]
    lines += [
        "",
        f"Chaque requête à {_n(largest)} enregistrements, fichier / DuckLake, ms "
        "(médiane (min–max)) :",
        "",
        *_table(
            ["Vue", "Requête", "Paramètres", "Fichier", "DuckLake", "Rapport"],
            [
                [
                    f["view"],
                    f["query"],
                    _params(f["query"], f["params"], f["view"]),
                    _ms(f["seconds"]),
                    _ms(d["seconds"]),
                    _x(d["seconds"]["median"] / max(f["seconds"]["median"], 1e-9), 1),
                ]
                for f, d in zip(lk["file"], lk["lake"], strict=True)
            ],
        ),
    ]
    return lines


def _median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


def _params(query: str, params: dict, view: str) -> str:
    """The page's own parameters (level, measure…); the global filters are the view's, and
    a query of the filtered view that drops the territory (a whole-département table) says so."""
    shown = [f"{k}={v}" for k, v in params.items() if k in ("level", "measure", "key") and v]
    try:
        uses_territory = "$ept" in warehouse.load_sql(query)
    except OSError:  # a query renamed since the results were recorded
        uses_territory = False
    if view != "défaut" and uses_territory and not params.get("ept"):
        shown.append("sans filtre territorial")
    return ", ".join(shown) or "–"


def _view_text(queries: dict) -> str:
    """« Vue filtrée : ept=…, … ; vue période coupée : … » from the recorded parameters."""
    views: dict[str, dict] = {}
    for q in queries["page_queries"]:
        if q["view"] != "défaut" and q["params"].get("ept"):
            views.setdefault(q["view"], q["params"])
    return " ; ".join(
        f"Vue {view} : "
        + ", ".join(
            f"{k}={v[0] if isinstance(v, list) and len(v) == 1 else v}"
            for k, v in params.items()
            if k in ("ept", "programmes", "date_from", "date_to")
        )
        for view, params in views.items()
    )


def write_section(section: str, readme: Path = README) -> None:
    """Replace this benchmark's section only (from its heading to the next « ## »),
    re-reading the file just before, as other benchmarks write their own sections."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Bancs d'essai\n"
    start = text.find(HEADING + "\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(HEADING))
        rest = text[end + 1 :] if end != -1 else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    readme.write_text(text, encoding="utf-8")


def smoke() -> None:
    """Every step once on SMOKE_SCALE records, in a temporary folder; exits non-zero when a
    step failed or a page did not draw (the timings themselves are not judged)."""
    global OUT
    OUT = Path(tempfile.mkdtemp(prefix="bench-smoke-"))
    started = time.perf_counter()
    results = run([SMOKE_SCALE], repeats=1, skip=set(), interaction_at=SMOKE_SCALE)
    scale = results["scales"][str(SMOKE_SCALE)]
    failures = [f"{STEP_NAMES[step]} : {error}" for step, error in scale.get("errors", {}).items()]
    failures += [
        f"page {name} : pas dessinée à temps"
        for name, entry in scale.get("app", {}).get("memory", {}).get("pages", {}).items()
        if entry.get("timeout")
    ]
    (OUT / "echelle.md").write_text(render(results), encoding="utf-8")
    for leftover in OUT.glob("*.duckdb*"):  # only the results are worth keeping
        leftover.unlink()
    import bench_fiches

    print("Fiches PDF…", flush=True)
    fiches_started = time.perf_counter()
    try:
        bench_fiches.main(["--repeats", "1", "--no-write", "--ept", SMOKE_EPT])
    except Exception as error:
        failures.append(f"fiches PDF : {error}")
    scale["step_seconds"]["fiches"] = time.perf_counter() - fiches_started
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in scale["step_seconds"].items())
    total, load = time.perf_counter() - started, os.getloadavg()[0]
    print(f"Passage d'essai en {total:.0f} s ({steps} ; charge {load:.1f}) ; résultats : {OUT}")
    if failures:
        raise SystemExit("Échec du passage d'essai :\n" + "\n".join(failures))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add 10 000 000 records")
    parser.add_argument("--scales", help="comma-separated sizes, instead of the defaults")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"each step once on {SMOKE_SCALE} records, results in a temporary folder (CI)",
    )
    parser.add_argument("--skip", default="", help="load,queries,app,lake,fiches")
    parser.add_argument("--no-write", action="store_true", help="leave bench/README.md alone")
    parser.add_argument(
        "--merge", action="store_true", help="keep the other scales of the last results file"
    )
    parser.add_argument(
        "--render", type=Path, help="only rewrite the README section from a results file"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        smoke()
        return
    if args.render:
        results = json.loads(args.render.read_text(encoding="utf-8"))
    else:
        scales = (
            [int(s) for s in args.scales.split(",")]
            if args.scales
            else [*DEFAULT_SCALES, *([FULL_SCALE] if args.full else [])]
        )
        skip = set(filter(None, args.skip.split(",")))
        results = run(scales, args.repeats, skip, merge=args.merge)
    section = render(results)
    print(section)
    if not args.no_write:
        write_section(section)
        print(f"Section « Échelle » écrite dans {README.relative_to(ROOT)}.")
    if not args.render and "fiches" not in set(args.skip.split(",")):
        # The 43 territory fiches in a ZIP (issue 14): its own « Fiches PDF » section.
        import bench_fiches

        print("Fiches PDF…", flush=True)
        bench_fiches.main(["--no-write"] if args.no_write else [])


if __name__ == "__main__":
    main()
