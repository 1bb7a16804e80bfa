"""Seeded generator of realistic warehouses for the scale benchmarks (issue 7).

    .venv/bin/python bench/generate.py --rows 1000000 --seed 93 --db bench/out/w-1000000.duckdb \
        [--csv bench/out/distributions-1000000.csv]

Builds a fresh warehouse with the real ETL (migrations, reference data, programmes and
targets from the press releases, no demonstration records), then bulk-inserts, in DuckDB SQL
only (no Python row is built, so 10 000 000 rows take seconds):

- ``rows`` distributions: the demonstration plan (data/demo/distributions_plan.csv: which
  programme gives which item to which public through which operator) weighted by its
  quantities, plus accompaniments for the programmes without a distribution plan (the
  conseillers numériques log every accompaniment, as national programmes do); each record in
  the programme's period (open-ended programmes run to 2025-12-31), in a commune drawn in
  proportion to its population (La Courneuve only for its own programme), with a small
  quantity (1 for most records: one accompaniment, one device);
- ``rows / 100`` funding lines from the funding plan (département-wide, per commune, per EPT
  or per post), ``rows / 1000`` conseiller numérique posts and ``rows / 10`` places of
  digital mediation (``--places``; 100 000 at 1 000 000 rows), on top of the shipped ones;
- every commune and every programme appear in the distributions (the first rows go through
  them in turn, whatever the size).

Every record is flagged ``is_demo`` and belongs to one ledger row of kind ``demo``. With
``--csv`` the distributions are also written as a semicolon-separated file in the loader's
format (documented header names, ISO dates, a record identifier), for the load benchmark.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.settings import DEMO_DIR  # noqa: E402
from core.store import transaction, writer  # noqa: E402
from etl import summary  # noqa: E402
from etl.build import init_warehouse  # noqa: E402
from etl.ledger import LoadRecord, record  # noqa: E402

OPEN_END = "2025-12-31"  # last day of open-ended programmes (no end date)
SLOTS = 10_000  # resolution of the weighted draws (communes, plan rows)
# Weight, in planned units, of the accompaniments of a programme without a distribution plan;
# the conseillers numériques, a national programme, log far more.
EXTRA_WEIGHT = 5_000
CONSEILLERS_WEIGHT = 40_000
FUNDING_PER_RECORDS = 100
POSTS_PER_RECORDS = 1_000


def _u(column: str, key: int) -> str:
    """SQL for a pseudo-random number in [0, 1) from the row number and the seed."""
    return f"((hash({column}, $seed, {key}) % 1000000) / 1000000.0)"


def _h(column: str, key: int) -> str:
    """SQL for a pseudo-random non-negative integer from the row number and the seed."""
    return f"hash({column}, $seed, {key})"


SETUP_SQL = f"""
CREATE TEMP TABLE plan_d AS
    SELECT * FROM read_csv($plan_d, header = true, all_varchar = true);
CREATE TEMP TABLE plan_f AS
    SELECT * FROM read_csv($plan_f, header = true, all_varchar = true);

-- What a distribution record can be: one row per plan line, plus accompaniments for the
-- programmes without a plan line, each with its weight and period.
CREATE TEMP TABLE mix AS
WITH lines AS (
    SELECT d.programme_id, d.item, nullif(d.public, '') AS public,
           nullif(d.operator, '') AS operator, nullif(d.communes, '') AS only_commune,
           d.quantity::DOUBLE AS weight
    FROM plan_d d
    UNION ALL
    SELECT p.id, 'accompagnement', NULL, p.operator, NULL,
           CASE WHEN p.id = 'conseillers-numeriques' THEN {CONSEILLERS_WEIGHT}
                ELSE {EXTRA_WEIGHT} END
    FROM programmes p
    WHERE p.id NOT IN (SELECT programme_id FROM plan_d)
)
SELECT row_number() OVER (ORDER BY l.programme_id, l.item, l.public, l.operator) - 1 AS k,
       l.*, p.start_date AS date_from,
       least(coalesce(p.end_date, DATE '{OPEN_END}'), DATE '{OPEN_END}') AS date_to
FROM lines l JOIN programmes p ON p.id = l.programme_id;

-- Weighted draws by equality join: SLOTS slots shared in proportion to the weights (every
-- line and every commune gets at least one).
CREATE TEMP TABLE mix_slots AS
SELECT row_number() OVER (ORDER BY k, n) - 1 AS slot, k
FROM mix, range(greatest(1, round({SLOTS} * weight / (SELECT sum(weight) FROM mix)))::BIGINT)
    r(n);
CREATE TEMP TABLE com AS
SELECT row_number() OVER (ORDER BY c.code) - 1 AS k, c.code, c.name, c.ept_code, c.population
FROM communes c;
CREATE TEMP TABLE com_slots AS
SELECT row_number() OVER (ORDER BY k, n) - 1 AS slot, k
FROM com, range(greatest(1, round({SLOTS} * population / (SELECT sum(population) FROM com)))
    ::BIGINT) r(n);
CREATE TEMP TABLE ept AS
SELECT row_number() OVER (ORDER BY code) - 1 AS k, code, name FROM epts;
CREATE TEMP TABLE fmix AS
SELECT row_number() OVER (ORDER BY f.programme_id, f.funder, f.level) - 1 AS k,
       f.programme_id, f.funder, nullif(f.scheme, '') AS scheme, f.level,
       nullif(f.communes, '') AS only_commune, p.start_date AS date_from,
       least(coalesce(p.end_date, DATE '{OPEN_END}'), DATE '{OPEN_END}') AS date_to
FROM plan_f f JOIN programmes p ON p.id = f.programme_id;
"""

DISTRIBUTIONS_SQL = f"""
INSERT INTO distributions
SELECT m.date_from + ({_h("i", 3)} % (m.date_to - m.date_from + 1))::INTEGER AS date,
       coalesce(m.only_commune, c.code) AS commune_code,
       m.programme_id, m.item,
       CASE WHEN {_u("i", 4)} < 0.75 THEN 1
            WHEN {_u("i", 4)} < 0.93 THEN 2
            ELSE 3 + {_h("i", 5)} % 10 END AS quantity,
       m.public, m.operator, true AS is_demo, $load_id AS load_id
FROM range($rows) t(i)
JOIN mix_slots ms ON ms.slot = {_h("i", 1)} % $mix_slots
JOIN com_slots cs ON cs.slot = {_h("i", 2)} % $com_slots
JOIN mix m ON m.k = CASE WHEN i < $n_mix THEN i ELSE ms.k END
JOIN com c ON c.k = CASE WHEN i < $n_com THEN i ELSE cs.k END
"""

FUNDING_SQL = f"""
INSERT INTO funding (date, funder, programme_id, commune_code, ept_code, amount_eur, scheme,
                     is_demo, load_id)
SELECT m.date_from + ({_h("i", 13)} % (m.date_to - m.date_from + 1))::INTEGER AS date,
       CASE m.funder WHEN 'EPT' THEN 'EPT ' || e.name
                     WHEN 'Commune' THEN 'Commune de ' || c.name
                     ELSE m.funder END AS funder,
       m.programme_id,
       CASE WHEN m.level IN ('commune', 'per_post') THEN c.code END AS commune_code,
       CASE WHEN m.level = 'ept' THEN e.code END AS ept_code,
       round(100 + 9900 * {_u("i", 14)}, 2)::DECIMAL(18, 2) AS amount_eur,
       m.scheme, true, $load_id
FROM range($rows) t(i)
JOIN fmix m ON m.k = i % $n_fmix
JOIN ept e ON e.k = {_h("i", 11)} % $n_ept
JOIN com_slots cs ON cs.slot = {_h("i", 12)} % $com_slots
JOIN com c ON c.code = coalesce(m.only_commune, (SELECT code FROM com WHERE k = cs.k))
"""

CONSEILLERS_SQL = f"""
INSERT INTO conseillers (date, commune_code, programme_id, posts, structure_type, is_demo,
                         load_id)
SELECT DATE '2021-03-24' + ({_h("i", 21)} % (DATE '{OPEN_END}' - DATE '2021-03-24' + 1))::INTEGER,
       c.code, 'conseillers-numeriques', 1,
       CASE WHEN {_u("i", 22)} < 0.7 THEN 'publique' ELSE 'privée' END, true, $load_id
FROM range($rows) t(i)
JOIN com_slots cs ON cs.slot = {_h("i", 23)} % $com_slots
JOIN com c ON c.k = CASE WHEN i < $n_com THEN i ELSE cs.k END
"""

# Places of digital mediation (issue #13), each in a commune drawn in proportion to its
# population, with one or two national programmes, a few services, and a date of update
# spread over 2019–2025 (so that « à vérifier » and « à actualiser » both occur).
PLACES_SQL = f"""
INSERT INTO lieux (id, nom, commune_code, adresse, code_postal, latitude, longitude, services,
                   programmes, typologie, qpv, date_maj, source, is_demo, load_id)
SELECT 'L' || i, 'Lieu de médiation ' || i, c.code,
       (1 + {_h("i", 31)} % 200) || ' rue de l''Exemple', NULL, NULL, NULL,
       list_slice(['Prendre en main un ordinateur', 'Accéder à internet',
                   'Réaliser des démarches administratives', 'Utiliser la messagerie'],
                  1, 1 + ({_h("i", 32)} % 4)::INTEGER),
       CASE {_h("i", 33)} % 3 WHEN 0 THEN ['Conseillers numériques']
            WHEN 1 THEN ['France Services'] ELSE ['Conseillers numériques', 'Aidants Connect']
       END,
       [], {_u("i", 34)} < 0.3,
       DATE '2019-01-01' + ({_h("i", 35)} % 2500)::INTEGER,
       'banc d''essai', true, $load_id
FROM range($rows) t(i)
JOIN com_slots cs ON cs.slot = {_h("i", 36)} % $com_slots
JOIN com c ON c.k = CASE WHEN i < $n_com THEN i ELSE cs.k END
"""
PLACES_PER_RECORDS = 10

# The loader's format: documented header names (docs/chargement.md), ISO dates, and a record
# identifier as real logs have (without one, identical rows are rejected as duplicates).
CSV_SQL = """
COPY (
    SELECT 'R' || rowid AS id, date, commune_code AS code_insee, programme_id AS programme, item,
           quantity AS quantite, public, operator AS operateur
    FROM distributions WHERE load_id = {load_id}
) TO '{path}' (HEADER, DELIMITER ';')
"""


def _used(sql: str, params: dict) -> dict:
    """The parameters the statement names (DuckDB rejects unused named parameters)."""
    return {k: v for k, v in params.items() if f"${k}" in sql}


def generate(
    db: Path, rows: int, seed: int = 93, csv: Path | None = None, places: int | None = None
) -> dict:
    """Build the warehouse `db` (replacing any file there) with `rows` distributions and
    `places` places of digital mediation (default: rows / 10)."""
    started = time.perf_counter()
    for suffix in ("", ".wal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    init_warehouse(db, with_demo=False)
    funding_rows = max(rows // FUNDING_PER_RECORDS, 1)
    post_rows = max(rows // POSTS_PER_RECORDS, 1)
    place_rows = max(rows // PLACES_PER_RECORDS, 1) if places is None else places
    with writer(db) as con:
        con.execute("SET preserve_insertion_order = false")
        with transaction(con):
            load_id = record(
                con,
                LoadRecord(
                    kind="demo",
                    file_name=f"banc d'essai ({rows} distributions, graine {seed})",
                    source_label="Données de démonstration (banc d'essai)",
                    sha256=f"bench:{rows}:{seed}",
                    rows_read=rows + funding_rows + post_rows + place_rows,
                    rows_loaded=rows + funding_rows + post_rows + place_rows,
                    is_demo=True,
                ),
            )
            plans = {
                "plan_d": str(DEMO_DIR / "distributions_plan.csv"),
                "plan_f": str(DEMO_DIR / "funding_plan.csv"),
            }
            for statement in SETUP_SQL.split(";"):
                if statement.strip():
                    con.execute(statement, _used(statement, plans))
            sizes = {
                f"{name}": con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for name, table in (
                    ("mix_slots", "mix_slots"),
                    ("com_slots", "com_slots"),
                    ("n_mix", "mix"),
                    ("n_com", "com"),
                    ("n_fmix", "fmix"),
                    ("n_ept", "ept"),
                )
            }
            common = {"seed": seed, "load_id": load_id} | sizes
            for sql, count in (
                (DISTRIBUTIONS_SQL, rows),
                (FUNDING_SQL, funding_rows),
                (CONSEILLERS_SQL, post_rows),
                (PLACES_SQL, place_rows),
            ):
                con.execute(sql, _used(sql, common | {"rows": count}))
            summary.refresh(con, loads=[load_id])
        con.execute("CHECKPOINT")
        if csv is not None:
            csv.parent.mkdir(parents=True, exist_ok=True)
            con.execute(CSV_SQL.format(load_id=load_id, path=str(csv).replace("'", "''")))
        counts = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("distributions", "funding", "conseillers", "lieux")
        }
    return counts | {
        "seconds": time.perf_counter() - started,
        "bytes": db.stat().st_size,
        "csv_bytes": csv.stat().st_size if csv else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="distribution records")
    parser.add_argument("--seed", type=int, default=93)
    parser.add_argument("--db", type=Path, required=True, help="warehouse file to (re)build")
    parser.add_argument("--csv", type=Path, help="also write the distributions as a CSV")
    parser.add_argument("--places", type=int, help="places of digital mediation (rows / 10)")
    args = parser.parse_args(argv)
    report = generate(args.db, args.rows, args.seed, args.csv, args.places)
    print(
        f"{args.db} : {report['distributions']} distributions, {report['funding']} "
        f"financements, {report['conseillers']} postes, {report['lieux']} lieux, "
        f"{report['bytes'] / 2**20:.0f} Mio, {report['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
