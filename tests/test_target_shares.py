"""Target families and shares (etl/target_shares.py) are stored whenever targets change and
always equal what THE share rule (etl/sql/target_shares.sql) computes from the targets and
communes as they are; the pages' target queries read them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from etl import target_shares
from etl.load import load_file
from observatoire import warehouse
from observatoire.filters import Filters

DATA = Path(__file__).parent / "data" / "load"


def _stored_equals_fresh(db: Path) -> bool:
    con = duckdb.connect(str(db), read_only=True)
    try:
        families = (target_shares.SQL / "target_families.sql").read_text(encoding="utf-8")
        shares = (target_shares.SQL / "target_shares.sql").read_text(encoding="utf-8")
        checks = [
            (
                f"SELECT * FROM (\n{families}\n)",
                "SELECT family, programme_id, indicator, item, public, operator, funder, scope, "
                "scope_code, target_value, label, unit, deadline, source "
                "FROM target_families",
            ),
            (
                f"SELECT * FROM (\n{shares}\n)",
                "SELECT family, level, code, target_share, share_rule, share_of FROM target_shares",
            ),
        ]
        for fresh, stored in checks:
            fresh_rows = con.execute(fresh).fetchall()
            stored_rows = con.execute(stored).fetchall()
            if sorted(map(repr, fresh_rows)) != sorted(map(repr, stored_rows)):
                return False
        return True
    finally:
        con.close()


def _shares(db: Path, programme: str) -> dict[tuple, float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT level, code, target_share FROM target_shares WHERE programme_id = ?",
            [programme],
        ).fetchall()
    finally:
        con.close()
    return {(level, code): share for level, code, share in rows}


def test_reference_targets_are_stored_at_init(demo_db):
    assert _stored_equals_fresh(demo_db)
    assert _shares(demo_db, "emmaus-connect-2020")


def _targets_file(path: Path, departement_target: str) -> Path:
    path.write_text(
        "programme;indicateur;item;objectif;unité;périmètre;code;échéance;libellé\n"
        f"pass-numerique-93;quantite;accompagnement;{departement_target};personnes;departement;"
        ";2023-12-31;Objectif départemental\n"
        "pass-numerique-93;quantite;accompagnement;100;personnes;commune;Bobigny;;dont Bobigny\n",
        encoding="utf-8",
    )
    return path


def test_a_targets_load_and_its_replacement_update_the_shares(empty_db, tmp_path):
    load_file(empty_db, "programmes", DATA / "programmes.csv", source_label="Tableau DSI 2022")
    load_file(empty_db, "targets", _targets_file(tmp_path / "v1.csv", "1 000"), source_label="DSI")
    assert _stored_equals_fresh(empty_db)
    shares = _shares(empty_db, "pass-numerique-93")
    communes = {code: v for (level, code), v in shares.items() if level == "commune"}
    assert len(communes) == 39 and communes["93008"] == 100
    assert abs(sum(communes.values()) - 1000) < 1e-6
    # The corrected file doubles the target: every share follows, in the same load.
    v2 = _targets_file(tmp_path / "v2.csv", "2 000")
    load_file(empty_db, "targets", v2, source_label="DSI", replace=True)
    assert _stored_equals_fresh(empty_db)
    doubled = {c: v for (level, c), v in _shares(empty_db, "pass-numerique-93").items()
               if level == "commune"}  # fmt: skip
    assert doubled["93008"] == 100 and abs(sum(doubled.values()) - 2000) < 1e-6


def test_target_queries_read_the_stored_shares(demo_db, use_db):
    """Tampering with a stored share shows on the pages: they read it, not a recomputation."""
    use_db(demo_db)
    params = Filters(ept="200057875").params() | {"level": "ept", "today": date(2022, 6, 30)}
    before = warehouse.run("target_territory_progress", params)
    warehouse.READER.release()  # let this process write
    con = duckdb.connect(str(demo_db))
    con.execute("UPDATE target_shares SET target_share = target_share * 2 WHERE level = 'ept'")
    con.close()
    after = warehouse.run("target_territory_progress", params)
    assert (after["target_share"] == before["target_share"] * 2).all()


def test_a_family_reads_the_same_whatever_the_order_of_its_targets():
    """Two EPT targets of one family with different labels: the family's label, unit and
    source are those of the larger one, in whichever order the rows were stored."""
    families = (target_shares.SQL / "target_families.sql").read_text(encoding="utf-8")
    rows = [
        ("ept", "T1", 300.0, "Tablettes (EPT Plaine Commune)", "tablettes", "communiqué A"),
        ("ept", "T2", 500.0, "Tablettes (EPT Est Ensemble)", "unités", "communiqué B"),
    ]
    seen = set()
    for order in (rows, rows[::-1]):
        con = duckdb.connect()
        con.execute(
            "CREATE TABLE targets (programme_id VARCHAR, indicator VARCHAR, item VARCHAR, "
            "public VARCHAR, operator VARCHAR, funder VARCHAR, scope VARCHAR, "
            "scope_code VARCHAR, target_value DOUBLE, label VARCHAR, unit VARCHAR, "
            "deadline DATE, source VARCHAR)"
        )
        for scope, code, value, label, unit, source in order:
            con.execute(
                "INSERT INTO targets VALUES ('p', 'quantite', 'tablette', NULL, NULL, NULL, "
                "?, ?, ?, ?, ?, DATE '2021-06-30', ?)",
                [scope, code, value, label, unit, source],
            )
        seen.add(
            con.execute(f"SELECT label, unit, source, target_value FROM ({families})").fetchone()
        )
    assert seen == {("Tablettes (EPT Est Ensemble)", "unités", "communiqué B", 800.0)}
