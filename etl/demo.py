"""Seeded, deterministic demonstration records, consistent with the programmes of the
press releases: totals never exceed what the releases announce, dates stay within each
programme's period, and every record is flagged ``is_demo``.

The plans (how much of each programme to spread, when, to whom) are in data/demo/*.csv.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from core.settings import DEMO_DIR
from etl import summary
from etl.ledger import LoadRecord, find_active, record, sha256_of_files

DEFAULT_SEED = 93
GENERATOR_VERSION = "1"
DISTRIBUTIONS_PLAN = DEMO_DIR / "distributions_plan.csv"
FUNDING_PLAN = DEMO_DIR / "funding_plan.csv"
# Conseillers numériques: a first wave below the 80 announced posts.
CONSEILLERS_POSTS = 62
CONSEILLERS_PERIOD = (date(2021, 3, 24), date(2021, 12, 15))
QUARTIERS_SOLIDAIRES_PROJECTS = 58


def _read_plan(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def split_total(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of an integer total: the parts add up exactly."""
    weight_sum = sum(weights)
    raw = [total * w / weight_sum for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _commune_weights(
    rng: random.Random, communes: list[tuple[str, str, int]], only: str, coverage: float
) -> dict[str, float]:
    """Population-weighted shares with noise; some communes get nothing (coverage < 1)."""
    if only:
        codes = set(only.split())
        return {code: 1.0 for code, _, _ in communes if code in codes}
    weights = {}
    for code, _, population in communes:
        if rng.random() <= coverage:
            weights[code] = population * rng.uniform(0.5, 1.6)
    return weights


def _distribution_rows(rng: random.Random, communes) -> list[tuple]:
    rows = []
    for plan in _read_plan(DISTRIBUTIONS_PLAN):
        start = date.fromisoformat(plan["date_from"])
        end = date.fromisoformat(plan["date_to"])
        weights = _commune_weights(rng, communes, plan["communes"], coverage=0.9)
        codes = sorted(weights)
        shares = split_total(int(plan["quantity"]), [weights[c] for c in codes])
        for code, share in zip(codes, shares, strict=True):
            if share == 0:
                continue
            # Several deliveries per commune, as real distribution logs have.
            batches = min(share, rng.randint(1, 6))
            for quantity in split_total(share, [rng.uniform(0.5, 1.5) for _ in range(batches)]):
                if quantity:
                    rows.append(
                        (
                            _random_date(rng, start, end),
                            code,
                            plan["programme_id"],
                            plan["item"],
                            quantity,
                            plan["public"] or None,
                            plan["operator"] or None,
                        )
                    )
    return rows


def _conseiller_rows(rng: random.Random, communes) -> list[tuple]:
    weights = _commune_weights(rng, communes, "", coverage=0.85)
    codes = sorted(weights)
    rows = []
    for code, posts in zip(
        codes, split_total(CONSEILLERS_POSTS, [weights[c] for c in codes]), strict=True
    ):
        for _ in range(posts):
            structure = "publique" if rng.random() < 0.7 else "privée"
            rows.append(
                (
                    _random_date(rng, *CONSEILLERS_PERIOD),
                    code,
                    "conseillers-numeriques",
                    1,
                    structure,
                )
            )
    return rows


def _funding_rows(rng: random.Random, communes, epts, conseillers) -> list[tuple]:
    rows = []
    for plan in _read_plan(FUNDING_PLAN):
        start = date.fromisoformat(plan["date_from"])
        end = date.fromisoformat(plan["date_to"])
        amount = int(plan["amount_eur"])
        funder, programme, scheme = plan["funder"], plan["programme_id"], plan["scheme"]
        level = plan["level"]
        if level == "departement":
            rows.append(
                (_random_date(rng, start, end), funder, programme, None, None, amount, scheme)
            )
        elif level == "per_post":
            # The State pays per post: 50 000 € to local authorities, 40 000 € to private ones.
            for day, code, _, _, structure in conseillers:
                per_post = amount if structure == "publique" else 40_000
                rows.append((day, funder, programme, code, None, per_post, scheme))
        elif level == "ept":
            for ept_code, ept_name in epts:
                rows.append(
                    (
                        _random_date(rng, start, end),
                        f"EPT {ept_name}",
                        programme,
                        None,
                        ept_code,
                        amount,
                        scheme,
                    )
                )
        else:  # commune
            count = QUARTIERS_SOLIDAIRES_PROJECTS if programme == "quartiers-solidaires-2020" else 0
            weights = _commune_weights(rng, communes, plan["communes"], coverage=0.8)
            codes = sorted(weights)
            if count:  # one grant per project, in the communes that have projects
                picks = rng.choices(codes, weights=[weights[c] for c in codes], k=count)
                amounts = split_total(amount, [rng.uniform(0.4, 1.6) for _ in picks])
                targets = list(zip(picks, amounts, strict=True))
            else:
                targets = list(
                    zip(codes, split_total(amount, [weights[c] for c in codes]), strict=True)
                )
            names = {code: name for code, name, _ in communes}
            for code, part in targets:
                if part:
                    who = f"Commune de {names[code]}" if funder == "Commune" else funder
                    rows.append(
                        (_random_date(rng, start, end), who, programme, code, None, part, scheme)
                    )
    return rows


def demo_sha256(seed: int) -> str:
    return sha256_of_files([DISTRIBUTIONS_PLAN, FUNDING_PLAN]) + f":v{GENERATOR_VERSION}:{seed}"


def load_demo(con: duckdb.DuckDBPyConnection, seed: int = DEFAULT_SEED) -> int | None:
    """Insert the demonstration records inside the caller's transaction.

    Returns the load id, or None when the same demonstration data is already there.
    """
    digest = demo_sha256(seed)
    if find_active(con, "demo", digest) is not None:
        return None
    remove_demo(con)
    communes = con.execute("SELECT code, name, population FROM communes ORDER BY code").fetchall()
    epts = con.execute("SELECT code, name FROM epts ORDER BY code").fetchall()
    rng = random.Random(seed)
    distributions = _distribution_rows(rng, communes)
    conseillers = _conseiller_rows(rng, communes)
    funding = _funding_rows(rng, communes, epts, conseillers)
    total = len(distributions) + len(conseillers) + len(funding)
    load_id = record(
        con,
        LoadRecord(
            kind="demo",
            file_name=f"données de démonstration (graine {seed})",
            source_label="Données de démonstration",
            sha256=digest,
            rows_read=total,
            rows_loaded=total,
            is_demo=True,
        ),
    )
    frames = {
        "distributions": pd.DataFrame(
            distributions,
            columns=[
                "date",
                "commune_code",
                "programme_id",
                "item",
                "quantity",
                "public",
                "operator",
            ],
        ),
        "conseillers": pd.DataFrame(
            conseillers,
            columns=["date", "commune_code", "programme_id", "posts", "structure_type"],
        ),
        "funding": pd.DataFrame(
            funding,
            columns=[
                "date",
                "funder",
                "programme_id",
                "commune_code",
                "ept_code",
                "amount_eur",
                "scheme",
            ],
        ),
    }
    for table, frame in frames.items():
        frame["is_demo"] = True
        frame["load_id"] = load_id
        columns = ", ".join(frame.columns)
        con.register("demo_frame", frame)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM demo_frame")
        con.unregister("demo_frame")
    summary.refresh(con, demo=True)
    return load_id


def remove_demo(con: duckdb.DuckDBPyConnection) -> int:
    """Delete every demonstration record (inside the caller's transaction)."""
    removed = 0
    for table in ("distributions", "funding", "conseillers"):
        removed += con.execute(f"DELETE FROM {table} WHERE is_demo").fetchone()[0]
    summary.refresh(con, demo=True)
    con.execute("UPDATE loads SET replaced_at = now() WHERE kind = 'demo' AND replaced_at IS NULL")
    return removed
