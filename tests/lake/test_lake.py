"""The warehouse on a DuckLake (PostgreSQL catalog, Parquet files): the same ETL, pages and
ledger as on a file, writers serialised by an advisory lock, a killed writer leaving the lake
unchanged, export and import between file and lake, and the nightly maintenance."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core import store
from core.store import Lake, connect
from etl.build import init_warehouse
from etl.lake import export_warehouse, import_warehouse, maintain, tables
from etl.load import PAUSE_ENV, load_file
from etl.unload import unload
from observatoire import warehouse
from observatoire.filters import Filters
from tests.lake.conftest import lake_env

ROOT = Path(__file__).resolve().parents[2]
LOAD, NEED = ROOT / "tests" / "data" / "load", ROOT / "tests" / "data" / "need"

# One file of every kind a user loads (etl/schemas.py, etl/need/).
EVERY_KIND = [
    ("programmes", LOAD / "programmes.csv", {}),
    ("targets", LOAD / "targets.csv", {}),
    ("distributions", LOAD / "distributions_cp1252.csv", {}),
    ("funding", LOAD / "funding_mixed.csv", {}),
    ("indicateurs", NEED / "insee_pop_age_2021.csv", {}),
    ("lieux", NEED / "lieux_v1_desordre.csv", {}),
    ("conseillers", NEED / "anct_coselec.csv", {}),
]


# Chosen among ties by the existing rule (etl/sql/target_families.sql: first(… ORDER BY
# scope_rank) when two targets of a family share a level): not the engine's to decide.
TIES = {"target_families": {"unit", "label", "deadline", "source"}}


def contents(db) -> dict[str, pd.DataFrame]:
    """Every table, without its timestamps (when a load ran), in a stable order."""
    con = connect(db, read_only=True)
    try:
        found = {}
        for table in tables(con):
            if table == "schema_migrations":
                continue
            columns = [
                f'"{name}"'
                for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall()
                if not kind.startswith("TIMESTAMP") and name not in TIES.get(table, ())
            ]
            found[table] = con.execute(
                f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL"
            ).df()
        return found
    finally:
        con.close()


def assert_same_contents(a, b) -> None:
    left, right = contents(a), contents(b)
    assert set(left) == set(right)
    for table in left:
        pd.testing.assert_frame_equal(left[table], right[table], check_dtype=False, obj=table)


def test_init_builds_the_same_warehouse_on_the_lake(demo_lake, tmp_path):
    assert demo_lake.exists()
    file = tmp_path / "observatoire.duckdb"
    init_warehouse(file, with_demo=True)
    assert_same_contents(demo_lake, file)
    # Every migration recorded once; a second init changes nothing.
    con = connect(demo_lake, read_only=True)
    try:
        versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()]
    finally:
        con.close()
    assert sorted(versions) == [v for v, _, _ in store.available()]
    before = demo_lake.snapshot()
    report = init_warehouse(demo_lake, with_demo=True)
    assert (report.migrations, report.reference_load, report.demo_load) == ([], None, None)
    assert store.pending(versions) == []
    assert demo_lake.snapshot() >= before


def test_every_loader_kind_unload_and_ledger_match_the_file(lake, tmp_path):
    file = tmp_path / "observatoire.duckdb"
    for db in (lake, file):
        init_warehouse(db, with_demo=False)
        ids = []
        for kind, path, options in EVERY_KIND:
            result = load_file(db, kind, path, **options)
            assert result.load_id is not None, (kind, result.messages)
            ids.append(result.load_id)
        # A new description of the same indicators replaces the catalogue's rows.
        copy = tmp_path / "insee_pop_age_2021_bis.csv"
        copy.write_bytes((NEED / "insee_pop_age_2021.csv").read_bytes() + b"\n")
        replaced = load_file(db, "indicateurs", copy, source_label="autre source")
        assert replaced.load_id == ids[-1] + 1  # load numbers follow each other
        again = load_file(db, "distributions", LOAD / "distributions_cp1252.csv")
        assert (again.already_loaded, again.load_id) == (True, ids[2])
        unload(db, ids[3], removed_by="test")  # the funding file
    assert_same_contents(lake, file)
    con = connect(lake, read_only=True)
    try:
        assert con.execute(
            "SELECT count(*) FROM funding WHERE load_id = ?", [ids[3]]
        ).fetchone() == (0,)
        assert con.execute(
            "SELECT removed_by FROM loads WHERE load_id = ?", [ids[3]]
        ).fetchone() == ("test",)
        assert con.execute("SELECT count(DISTINCT load_id) = count(*) FROM loads").fetchone() == (
            True,
        )
    finally:
        con.close()  # fmt: skip


def test_a_key_held_twice_is_refused_on_the_lake(lake):
    init_warehouse(lake, with_demo=False)
    with store.writer(lake) as con:
        con.begin()
        con.execute("INSERT INTO programmes SELECT * FROM programmes LIMIT 1")
        with pytest.raises(store.UserError, match="même clé"):
            store.check_keys(con)
        con.rollback()


def page_calls(filters: Filters) -> dict:
    """The page queries, under FILTERS."""
    today = date(2024, 6, 30)
    return {
        "territories": lambda: warehouse.territories(),
        "programme_list": lambda: warehouse.programme_list(),
        "data_extent": lambda: warehouse.data_extent(),
        "key_figures": lambda: warehouse.key_figures(filters),
        "by_item": lambda: warehouse.distributions_by_item(filters),
        "by_month": lambda: warehouse.distributions_by_month(filters),
        "by_commune": lambda: warehouse.distributions_by_commune(filters),
        "target_progress": lambda: warehouse.target_progress(filters, today),
        "target_territory": lambda: warehouse.target_territory_progress(filters, "ept", today),
        "funding_summary": lambda: warehouse.funding_summary(filters),
        "funding_by_funder": lambda: warehouse.funding_by_funder(filters),
        "funding_by_programme": lambda: warehouse.funding_by_programme(filters),
        "funding_by_territory": lambda: warehouse.funding_by_territory(filters, "commune"),
        "funding_flows": lambda: warehouse.funding_flows(filters),
        "funding_costs": lambda: warehouse.funding_costs(filters),
        "map_values": lambda: warehouse.map_values(filters, "commune", "quantite"),
        "map_boundaries": lambda: warehouse.map_boundaries("commune"),
        "territory_months": lambda: warehouse.territory_programme_months(filters),
        "territory_records": lambda: warehouse.territory_records(filters, limit=50),
        "need_indicators": lambda: warehouse.need_indicators(),
        "need_by_territory": lambda: warehouse.need_by_territory("ept"),
        "place_counts": lambda: warehouse.place_counts(filters, "commune"),
        "place_totals": lambda: warehouse.place_totals(filters),
        "loads_list": lambda: warehouse.loads_list(),
    }


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in a stable order (a query's order among ties is the engine's)."""
    order = frame.astype(str).sort_values(list(frame.columns)).index
    return frame.loc[order].reset_index(drop=True)


@pytest.mark.parametrize(
    "filters",
    [Filters(), Filters(ept="200057875", date_from=date(2021, 3, 15), date_to=date(2022, 2, 10))],
    ids=["tout", "ept-periode"],
)
def test_page_queries_give_the_file_results(
    demo_lake, use_lake, use_db, tmp_path, filters, monkeypatch
):
    file = tmp_path / "observatoire.duckdb"
    init_warehouse(file, with_demo=True)
    results = {}
    for name, db in (("file", file), ("lake", demo_lake)):
        monkeypatch.delenv("OBSERVATOIRE_LAKE_CATALOG", raising=False)
        use_db(file) if name == "file" else use_lake(db)
        warehouse.require_current_schema()
        results[name] = {key: call() for key, call in page_calls(filters).items()}
    for key, value in results["file"].items():
        other = results["lake"][key]
        if isinstance(value, pd.DataFrame):
            drop = [c for c in value.columns if "loaded_at" in c or c == "last_update"]
            left, right = _rows(value.drop(columns=drop)), _rows(other.drop(columns=drop))
            pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=key)
        else:  # a dict of figures; when the last load ran differs
            assert {k: v for k, v in value.items() if k != "last_load"} == {
                k: v for k, v in other.items() if k != "last_load"
            }, key


def test_the_pages_cache_follows_the_lake_snapshot(lake, use_lake):
    init_warehouse(lake, with_demo=False)
    use_lake(lake)
    before = warehouse.key_figures(Filters())["items_distributed"] or 0
    version = warehouse.db_version()
    load_file(lake, "distributions", LOAD / "distributions_cp1252.csv")
    assert warehouse.db_version() != version
    assert (warehouse.key_figures(Filters())["items_distributed"] or 0) > before


def _paused_load(lake: Lake, csv: Path, marker: Path | None, timeout: str = "60"):
    env = {**lake_env(lake), "OBSERVATOIRE_LOCK_TIMEOUT": timeout}
    env.pop(PAUSE_ENV, None)
    if marker is not None:
        env[PAUSE_ENV] = str(marker)
    return subprocess.Popen(
        [sys.executable, "-m", "etl", "load", "distributions", str(csv)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the load ended before its pause: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the load never reached its pause")
        time.sleep(0.05)


def _big_csv(path: Path, rows: int, day: int = 1) -> Path:
    lines = ["date;commune;programme;item;quantite;nom"]  # a name: no two rows alike
    lines += [f"2021-05-{day:02d};Bondy;emmaus-connect-2020;tablette;{1 + i % 9};Dupont{i}"
              for i in range(rows)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ledger(lake: Lake) -> list[tuple]:
    con = connect(lake, read_only=True)
    try:
        return con.execute(
            "SELECT load_id, kind, file_name, rows_loaded FROM loads ORDER BY load_id"
        ).fetchall()
    finally:
        con.close()


def test_two_loads_at_once_are_serialised(lake, tmp_path):
    init_warehouse(lake, with_demo=False)
    marker = tmp_path / "paused"
    first = _paused_load(lake, _big_csv(tmp_path / "a.csv", 500, day=1), marker)
    _wait_for(marker, first)  # inside its transaction, holding the writers' lock
    busy = subprocess.run(
        [sys.executable, "-m", "etl", "load", "distributions", str(_big_csv(tmp_path / "b.csv", 7, day=2))],
        cwd=ROOT, env={**lake_env(lake), "OBSERVATOIRE_LOCK_TIMEOUT": "1"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert busy.returncode == 1 and "est occupé par un autre chargement" in busy.stderr
    second = _paused_load(lake, tmp_path / "b.csv", None)
    time.sleep(1.5)
    assert second.poll() is None  # waiting for the first one's lock
    marker.unlink()  # the first one commits
    assert first.wait(timeout=120) == 0, first.communicate()
    assert second.wait(timeout=120) == 0, second.communicate()
    loads = [row for row in _ledger(lake) if row[1] == "distributions"]
    assert [(r[2], r[3]) for r in loads] == [("a.csv", 500), ("b.csv", 7)]
    assert loads[1][0] == loads[0][0] + 1


def test_a_writer_killed_inside_its_transaction_leaves_the_lake_unchanged(lake, tmp_path):
    init_warehouse(lake, with_demo=False)
    load_file(lake, "distributions", LOAD / "distributions_cp1252.csv")
    before, snapshot = contents(lake), lake.snapshot()
    marker = tmp_path / "paused"
    proc = _paused_load(lake, _big_csv(tmp_path / "gros.csv", 20000), marker)
    _wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert lake.snapshot() == snapshot
    after = contents(lake)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[table], obj=table)
    # The lock died with the process: the next load takes it at once and commits.
    result = load_file(lake, "distributions", tmp_path / "gros.csv", timeout_s=5)
    assert (result.rows_loaded, result.rows_rejected) == (20000, 0)
    # The nightly maintenance deletes what the killed writer left behind.
    lines = maintain(lake)
    assert any("orphelins" in line for line in lines)
    on_disk = {str(p) for p in Path(lake.data).rglob("*.parquet")}
    con = connect(lake, read_only=True)
    try:
        listed = {
            r[0] for r in con.execute(
                "SELECT data_file FROM ducklake_list_files('lake', 'distributions')"
            ).fetchall()
        }  # fmt: skip
    finally:
        con.close()
    assert all(f in on_disk for f in listed)


def test_export_and_import_file_to_lake_to_file(lake, tmp_path):
    file = tmp_path / "origine.duckdb"
    init_warehouse(file, with_demo=True)
    load_file(file, "indicateurs", NEED / "insee_pop_age_2021.csv")
    export_warehouse(file, tmp_path / "export-fichier")
    report = import_warehouse(lake, tmp_path / "export-fichier")
    assert report.migrations_after == [] and report.skipped_tables == []
    assert_same_contents(file, lake)
    # The lake goes on as a warehouse: loads take the next number.
    export_warehouse(lake, tmp_path / "export-lac")
    back = tmp_path / "retour.duckdb"
    import_warehouse(back, tmp_path / "export-lac")
    assert_same_contents(file, back)
    with pytest.raises(store.UserError, match="existe déjà"):
        import_warehouse(back, tmp_path / "export-lac")


def test_import_reads_duckdb_export_database_and_upgrades(lake, tmp_path):
    """A folder written by DuckDB's own EXPORT DATABASE (as a duckdb 2.0 would write it from
    an older warehouse file with primary keys and a sequence) moves into the lake, and the
    migrations that came after are applied."""
    file = tmp_path / "ancien.duckdb"
    init_warehouse(file, with_demo=True)
    con = duckdb.connect(str(file))
    con.execute("DELETE FROM schema_migrations WHERE version = 50")
    con.execute("DROP TABLE public_counts")
    con.execute("DROP TABLE public_counts_meta")
    con.execute(f"EXPORT DATABASE '{tmp_path / 'export'}' (FORMAT parquet)")
    con.close()
    report = import_warehouse(lake, tmp_path / "export")
    assert report.migrations_after == ["050_public_counts"]
    con = connect(lake, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM distributions").fetchone()[0] > 1000
    finally:
        con.close()


def test_entretien_on_file_and_lake(demo_lake, tmp_path):
    file = tmp_path / "observatoire.duckdb"
    init_warehouse(file, with_demo=False)
    out = subprocess.run(
        [sys.executable, "-m", "etl", "entretien", "--db", str(file)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0 and "CHECKPOINT" in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "etl", "entretien", "--garder-jours", "0"],
        cwd=ROOT, env=lake_env(demo_lake), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "instantanés de plus de 0 jours expirés" in out.stdout
    # Still the same warehouse for the pages.
    con = connect(demo_lake, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM distributions").fetchone()[0] > 1000
    finally:
        con.close()


def test_the_fiches_command_reads_the_lake(demo_lake, use_lake, tmp_path):
    import zipfile

    from observatoire import fiches

    use_lake(demo_lake)
    target = tmp_path / "fiches.zip"
    assert fiches.main(["--sortie", str(target), "--ept", "200058097"]) == 0  # 8 communes
    with zipfile.ZipFile(target) as archive:
        assert len(archive.namelist()) == 9
