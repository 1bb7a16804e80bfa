"""Readers served per second through HAProxy, with 1 and then 3 Streamlit replicas
(`make bench-cluster`; issue 22).

    .venv/bin/python bench/bench_cluster.py [--replicas 1,3] [--clients 12] [--seconds 30]
                                            [--json out.json] [--no-write]

Starts its own cluster with scripts/cluster.sh (PostgreSQL, the demonstration warehouse in a
DuckLake, HAProxy) in a temporary folder on free ports, first with the fewest replicas, then
with more (the same warehouse, HAProxy reloaded), and stops it at the end. Two measures for
each number of replicas, each by CLIENTS concurrent clients for SECONDS, all on 127.0.0.1:

- readers: one reader is a new visitor served the overview to the end, as a browser gets it
  without drawing it: ``GET /`` through HAProxy (its SRV cookie says which replica), then
  Streamlit's websocket through HAProxy with that cookie, the request to run the page, and
  every message until the server says the run finished (key figures, charts as JSON); then
  the websocket closes. Counted: readers finished per second, and each reader's time.
  The query results are cached in each replica after its first reader (QueryCache), as on a
  day when many readers look at the same page: what is measured is serving them, not the
  warehouse's queries (bench/README.md, « Échelle », has those).
- http: pairs of plain requests per second, ``GET /`` (the page's HTML, a new connection,
  no cookie: spread by HAProxy) and ``GET /_stcore/health``: HAProxy and the servers'
  HTTP layer alone.

A warm-up (two readers per replica, not counted) fills every replica's cache first. The
section « Plusieurs serveurs (HAProxy) » of bench/README.md is rewritten from the results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

README = ROOT / "bench" / "README.md"
HEADING = "## Plusieurs serveurs (HAProxy)"
SCRIPT = ROOT / "scripts" / "cluster.sh"
MAX_PER_CLIENT = 5_000
TABLE_HEAD = (
    "| Répliques | Lecteurs servis / s | Durée d'un lecteur, médiane / 95 % "
    "| Lecteurs (par réplique) | Paires HTTP / s | Charge |\n|---:|---:|---:|---|---:|---:|"
)  # every loop is bounded in count as well as in time


def start_cluster(env: dict, replicas: int) -> None:
    done = subprocess.run(
        ["bash", str(SCRIPT), "start"],
        cwd=ROOT,
        env={**env, "REPLICAS": str(replicas)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)


async def one_reader(url: str) -> tuple[str, float]:
    """A new visitor served the overview to the end; returns (replica, seconds)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    started = time.perf_counter()

    def page() -> list[str]:
        with urllib.request.urlopen(url + "/", timeout=60) as reply:
            reply.read()
            return [c.split(";")[0] for c in reply.headers.get_all("Set-Cookie") or []]

    cookies = await asyncio.to_thread(page)
    replica = next((c[4:] for c in cookies if c.startswith("SRV=")), "?")
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(
        ws_url,
        additional_headers={"Cookie": "; ".join(cookies)},
        subprotocols=["streamlit"],
        max_size=None,
        open_timeout=60,
    ) as ws:
        run = BackMsg()
        run.rerun_script.query_string = ""
        run.rerun_script.page_script_hash = ""
        await ws.send(run.SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=120))
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.new_element.WhichOneof("type") == "exception":
                raise RuntimeError(message.delta.new_element.exception.message)
            if kind == "script_finished":
                if message.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise RuntimeError(f"run ended with status {message.script_finished}")
                break
    return replica, time.perf_counter() - started


async def readers(url: str, clients: int, seconds: float) -> dict:
    times: list[float] = []
    by_replica: dict[str, int] = {}
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        for _ in range(MAX_PER_CLIENT):
            if time.perf_counter() >= deadline:
                return
            replica, elapsed = await one_reader(url)
            times.append(elapsed)
            by_replica[replica] = by_replica.get(replica, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    return {
        "served": len(times),
        "wall_s": wall,
        "per_second": len(times) / wall,
        "median_s": statistics.median(times),
        "p95_s": sorted(times)[int(0.95 * (len(times) - 1))],
        "by_replica": dict(sorted(by_replica.items())),
    }


def http_pairs(url: str, clients: int, seconds: float) -> dict:
    deadline = time.perf_counter() + seconds

    def client() -> int:
        done = 0
        for _ in range(MAX_PER_CLIENT):
            if time.perf_counter() >= deadline:
                break
            for path in ("/", "/_stcore/health"):
                with urllib.request.urlopen(url + path, timeout=60) as reply:
                    reply.read()
            done += 1
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        pairs = sum(pool.map(lambda _: client(), range(clients)))
    wall = time.perf_counter() - started
    return {"pairs": pairs, "wall_s": wall, "per_second": pairs / wall}


def measure(url: str, replicas: int, clients: int, seconds: float) -> dict:
    for _ in range(2 * replicas):  # warm-up: round robin reaches every replica
        asyncio.run(one_reader(url))
    load = os.getloadavg()[0]
    served = asyncio.run(readers(url, clients, seconds))
    http = http_pairs(url, clients, seconds)
    return {"replicas": replicas, "load_avg_1min": load, "readers": served, "http": http}


def render(results: dict) -> str:
    from observatoire import fmt

    def num(value: float, digits: int = 1) -> str:
        return fmt.number(round(value, digits), digits) if digits else fmt.number(round(value))

    rows = "\n".join(
        f"| {r['replicas']} | {num(r['readers']['per_second'], 2)} | "
        f"{num(r['readers']['median_s'], 2)} s / {num(r['readers']['p95_s'], 2)} s | "
        f"{r['readers']['served']} ({', '.join(f'{k} : {v}' for k, v in r['readers']['by_replica'].items())}) | "  # noqa: E501
        f"{num(r['http']['per_second'])} | {num(r['load_avg_1min'])} |"
        for r in results["runs"]
    )
    base, *more = results["runs"]
    load = max(r["load_avg_1min"] for r in results["runs"])
    busy = (
        f" La machine était chargée par d'autres travaux (charge jusqu'à {num(load)} pour "
        f"{results['cpus']} cœurs) : les valeurs absolues sont basses et à mesurer de nouveau sur "
        "une machine calme ; c'est le rapport entre les lignes qui se lit."
        if load > 2 * (results["cpus"] or 1)
        else ""
    )
    replicas = " puis ".join(str(r["replicas"]) for r in results["runs"])
    gains = "; ".join(
        f"{r['replicas']} répliques : × {num(r['readers']['per_second'] / base['readers']['per_second'], 2)}"  # noqa: E501
        f" en lecteurs, × {num(r['http']['per_second'] / base['http']['per_second'], 2)} en HTTP"
        for r in more
    )
    return f"""{HEADING}

`make bench-cluster` (`bench/bench_cluster.py`) démarre son propre cluster (`scripts/cluster.sh` :
PostgreSQL, entrepôt de démonstration dans un DuckLake, HAProxy) dans un dossier temporaire, avec
{replicas} répliques, et mesure pendant {results["seconds"]:g} s, avec {results["clients"]} clients
simultanés sur 127.0.0.1 :

- **lecteurs servis par seconde** : un lecteur est un nouveau visiteur servi jusqu'au bout, comme
  un navigateur le reçoit sans le dessiner : `GET /` à travers HAProxy (son cookie SRV dit quelle
  réplique), puis le websocket de Streamlit à travers HAProxy avec ce cookie, la demande
  d'exécuter la page d'accueil et tous les messages jusqu'à la fin de l'exécution (chiffres clés,
  graphiques en JSON). Les résultats des requêtes sont en cache dans chaque réplique après son
  premier lecteur (deux lecteurs par réplique de mise en route, non comptés) : c'est le coût de
  servir la page qui est mesuré, pas celui des requêtes (voir « Échelle ») ;
- **HTTP** : paires de requêtes simples par seconde, `GET /` (le HTML de la page, nouvelle
  connexion sans cookie, répartie par HAProxy) et `GET /_stcore/health`.

Mesure du {results["date"]} ; {results["cpus"]} cœurs, machine partagée (charge moyenne sur 1 min
au départ de chaque mesure dans le tableau).

{TABLE_HEAD}
{rows}

Gain : {gains}.{busy}

Chaque réplique est un processus Python : l'exécution d'une page occupe un cœur
(verrou global de Python), si bien qu'une réplique seule ne peut pas employer les deux cœurs de
cette machine ; d'autres répliques, si. Au-delà d'une réplique par cœur, le gain vient d'une
machine de plus (HAProxy répartit de la même façon entre plusieurs machines).
"""


def write_readme(section: str) -> None:
    text = README.read_text(encoding="utf-8")
    start = text.find(HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", default="1,3", help="numbers of replicas, in order")
    parser.add_argument("--clients", type=int, default=12, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=30, help="length of each measure")
    parser.add_argument("--json", type=Path, help="write the raw results there too")
    parser.add_argument("--no-write", action="store_true", help="leave bench/README.md alone")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.replicas.split(",")]

    from tests.cluster.conftest import free_ports

    state = Path(tempfile.mkdtemp(prefix="observatoire-bench-cluster-"))
    state.chmod(0o755)  # PostgreSQL runs as its own user when this runs as root
    first = free_ports(max(counts) + 2)
    env = {
        **os.environ,
        "CLUSTER_DIR": str(state),
        "CLUSTER_ADDRESS": "127.0.0.1",
        "CLUSTER_PORT": str(first),
        "CLUSTER_PG_PORT": str(first + 1),
        "CLUSTER_REPLICA_PORT": str(first + 2),
        "PY": sys.executable,
    }
    url = f"http://127.0.0.1:{first}"
    runs = []
    try:
        for replicas in counts:
            start_cluster(env, replicas)
            runs.append(measure(url, replicas, args.clients, args.seconds))
            print(json.dumps(runs[-1], ensure_ascii=False), flush=True)
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], cwd=ROOT, env=env, check=False)
        subprocess.run(["rm", "-rf", str(state)], check=False)
    results = {
        "date": datetime.now().strftime("%d/%m/%Y %H:%M"),
        "cpus": os.cpu_count(),
        "clients": args.clients,
        "seconds": args.seconds,
        "runs": runs,
    }
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    section = render(results)
    if args.no_write:
        print(section)
    else:
        write_readme(section)
        print(f"{README} : section « {HEADING[3:]} » réécrite.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
