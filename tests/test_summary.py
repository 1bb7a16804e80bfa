"""The summaries of distributions by month and by day (etl/summary.py) that the pages read:
always in step with the records through loads, replacements, demonstration data and
migrations, and every query that reads them gives the figures the records give, for whole
months and for periods that cut months."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from etl import summary
from etl.build import init_warehouse
from etl.cli import main
from etl.load import load_file
from observatoire import warehouse
from observatoire.filters import Filters

EST_ENSEMBLE = "200057875"
MONTREUIL = "93048"


def _in_step(db: Path) -> tuple[int, int, int]:
    """(differences, rows by month, records summed)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        by_month, _, summed = summary.counts(con)
        return summary.differences(con), by_month, summed
    finally:
        con.close()


def _records(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM distributions").fetchone()[0]
    finally:
        con.close()


def test_demo_data_and_its_removal_keep_the_summary_in_step(demo_db):
    differences, rows, summed = _in_step(demo_db)
    assert differences == 0
    assert summed == _records(demo_db) > rows > 0  # fewer rows than records
    init_warehouse(demo_db, with_demo=False)
    assert _in_step(demo_db) == (0, 0, 0)
    init_warehouse(demo_db, with_demo=True)
    assert _in_step(demo_db)[0] == 0 and _in_step(demo_db)[2] == _records(demo_db)


def test_loads_and_replacements_keep_the_summary_in_step(demo_db, tmp_path):
    first = tmp_path / "v1.csv"
    first.write_text(
        "date;commune;programme;item;quantite\n"
        "2021-01-04;Bondy;emmaus-connect-2020;tablette;10\n"
        "2021-01-25;Bondy;emmaus-connect-2020;tablette;15\n"
        "2021-02-01;Montreuil;emmaus-connect-2020;ordinateur;3\n"
        "2021-02-30;Montreuil;emmaus-connect-2020;ordinateur;3\n",  # refused row: no such day
        encoding="utf-8",
    )
    loaded = load_file(demo_db, "distributions", first, source_label="Bondy")
    assert loaded.rows_loaded == 3 and loaded.rows_rejected == 1
    assert _in_step(demo_db)[0] == 0
    con = duckdb.connect(str(demo_db), read_only=True)
    mine = {
        table: con.execute(
            f"SELECT date, commune_code, item, quantity, records FROM {table} "
            "WHERE load_id = ? ORDER BY date",
            [loaded.load_id],
        ).fetchall()
        for table in summary.SUMMARIES
    }
    con.close()
    assert mine["distribution_months"] == [
        (date(2021, 1, 1), "93010", "tablette", 25, 2),
        (date(2021, 2, 1), MONTREUIL, "ordinateur", 3, 1),
    ]
    assert mine["distribution_days"] == [
        (date(2021, 1, 4), "93010", "tablette", 10, 1),
        (date(2021, 1, 25), "93010", "tablette", 15, 1),
        (date(2021, 2, 1), MONTREUIL, "ordinateur", 3, 1),
    ]
    second = tmp_path / "v2.csv"
    second.write_text(
        "date;commune;programme;item;quantite\n2021-03-04;Bondy;emmaus-connect-2020;tablette;7\n",
        encoding="utf-8",
    )
    replaced = load_file(demo_db, "distributions", second, source_label="Bondy", replace=True)
    assert replaced.replaced_loads == [loaded.load_id]
    differences, _, summed = _in_step(demo_db)
    assert differences == 0 and summed == _records(demo_db)


def test_a_failed_load_leaves_the_summary_untouched(demo_db, tmp_path, monkeypatch):
    before = _in_step(demo_db)

    def broken(con, **kwargs):
        raise duckdb.IOException("disque plein")

    monkeypatch.setattr(summary, "refresh", broken)
    bad = tmp_path / "ok.csv"
    bad.write_text(
        "date;commune;programme;item;quantite\n2021-03-04;Bondy;emmaus-connect-2020;tablette;7\n",
        encoding="utf-8",
    )
    with pytest.raises(Exception, match="entièrement annulé"):
        load_file(demo_db, "distributions", bad, source_label="Bondy")
    monkeypatch.undo()
    assert _in_step(demo_db) == before


def test_status_checks_the_summary_and_migrate_rebuilds_it(demo_db, capsys):
    assert main(["status", "--db", str(demo_db)]) == 0
    assert "Résumés des distributions" in capsys.readouterr().out
    for table in summary.SUMMARIES:
        con = duckdb.connect(str(demo_db))
        con.execute(f"UPDATE {table} SET quantity = quantity + 1 WHERE item = 'tablette'")
        con.close()
        assert main(["status", "--db", str(demo_db)]) == 1
        assert "--rebuild-summaries" in capsys.readouterr().err
        assert main(["migrate", "--db", str(demo_db), "--rebuild-summaries"]) == 0
        assert "Résumés des distributions recalculés" in capsys.readouterr().out
        assert main(["status", "--db", str(demo_db)]) == 0


def test_the_period_chooses_where_distributions_are_read():
    assert warehouse.fact_source({}) == "months"
    assert warehouse.fact_source({"date_from": date(2021, 1, 1)}) == "months"
    assert warehouse.fact_source({"date_to": date(2024, 2, 29)}) == "months"
    assert warehouse.fact_source({"date_to": date(2023, 2, 28)}) == "months"
    assert warehouse.fact_source({"date_to": date(2024, 2, 28)}) == "cut"
    assert warehouse.fact_source({"date_from": date(2021, 1, 2)}) == "cut"


# Every query that reads {{distribution_facts}}, with the parameters its page gives.
SUMMARY_QUERIES = {
    name: extra
    for name, extra in {
        "key_figures": {},
        "distributions_by_item": {},
        "distributions_by_month": {},
        "distributions_by_commune": {},
        "territory_programme_months": {},
        "funding_costs": {},
        "map_values": {"level": "commune", "measure": "personnes", "key": None},
        "target_progress": {"today": date(2022, 6, 30)},
        "target_territory_progress": {"level": "ept", "today": date(2022, 6, 30)},
        "territory_record_counts": {},
    }.items()
}

VIEWS = {
    "tout": Filters(),
    "année": Filters(date_from=date(2021, 1, 1), date_to=date(2021, 12, 31)),
    "mois coupés": Filters(date_from=date(2020, 11, 17), date_to=date(2021, 3, 10)),
    "début coupé": Filters(date_from=date(2021, 2, 15)),
    "fin coupée": Filters(date_to=date(2021, 6, 20)),
    "un jour": Filters(date_from=date(2021, 5, 3), date_to=date(2021, 5, 3)),
    "EPT et programme": Filters(
        ept=EST_ENSEMBLE,
        programmes=("emmaus-connect-2020",),
        date_from=date(2020, 12, 5),
        date_to=date(2021, 12, 31),
    ),
    "commune sans démo": Filters(communes=(MONTREUIL,), include_demo=False),
}

# No money for Emmaüs Connect given to Est Ensemble or its communes in the demo data, and
# only demonstration money.
NOTHING_TO_SHOW = {("funding_costs", "EPT et programme"), ("funding_costs", "commune sans démo")}


def test_sql_files_read_distributions_only_through_the_template():
    """A query that read the records table directly would lose the summaries' speed: only
    the sheet's list of records may."""
    direct = {
        path.stem
        for path in warehouse.SQL_DIR.glob("*.sql")
        if "FROM distributions" in path.read_text(encoding="utf-8")
    }
    assert direct == {"territory_records"}
    templated = {
        path.stem
        for path in warehouse.SQL_DIR.glob("[!_]*.sql")
        if warehouse.load_sql(path.stem, "months") != warehouse.load_sql(path.stem, "records")
    }
    assert templated == set(SUMMARY_QUERIES)


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("name", list(SUMMARY_QUERIES))
def test_summary_gives_the_figures_of_the_records(demo_db, use_db, tmp_path, name, view):
    # Some of the demo's records, plus user records in the middle of months, loaded for real.
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "date;commune;programme;item;quantite\n"
        "2021-02-14;Montreuil;emmaus-connect-2020;ordinateur;4\n"
        "2021-02-15;Montreuil;emmaus-connect-2020;ordinateur;6\n"
        "2020-11-17;Bondy;emmaus-connect-2020;recharge;9\n"
        "2021-03-10;Bobigny;emmaus-connect-2020;accompagnement;2\n"
        "2021-03-11;Bobigny;emmaus-connect-2020;accompagnement;5\n",
        encoding="utf-8",
    )
    load_file(demo_db, "distributions", extra, source_label="Test")
    use_db(demo_db)
    # Real records now set the demonstration ones aside: add them back, so that every view
    # (one day of May 2021 holds only demonstration records) has figures to compare.
    params = replace(VIEWS[view], demo_with_real=True).params() | SUMMARY_QUERIES[name]
    chosen = warehouse.run(name, params)
    reference = warehouse.run(name, params, facts="records")
    # A comparison of two empty frames would prove nothing.
    assert len(reference) > 0 or (name, view) in NOTHING_TO_SHOW
    pd.testing.assert_frame_equal(chosen, reference, check_dtype=False)


def test_a_sheet_counts_its_records_and_reads_only_the_newest(demo_db, use_db):
    use_db(demo_db)
    scoped = Filters(communes=(MONTREUIL,))
    counts = warehouse.territory_record_counts(scoped)
    every = warehouse.territory_records(scoped)
    assert int(counts["records"].sum()) == len(every) > 10
    by_kind = counts.groupby("Type")["records"].sum().to_dict()
    assert by_kind == every["Type"].value_counts().to_dict()
    newest = warehouse.territory_records(scoped, limit=10)
    pd.testing.assert_frame_equal(newest, every.head(10))
    programme = counts.loc[counts["Type"] == "Distribution", "Programme"].iloc[0]
    narrowed = warehouse.territory_records(scoped, ("Distribution",), (programme,))
    assert set(narrowed["Type"]) == {"Distribution"} and set(narrowed["Programme"]) == {programme}
    expected = counts[(counts["Type"] == "Distribution") & (counts["Programme"] == programme)]
    assert len(narrowed) == int(expected["records"].sum())


def test_an_older_warehouse_gets_its_summaries_and_shares_when_migrated(demo_db):
    """A warehouse made before migrations 020 and 030, with records: `migrate` (an upgrade,
    with_demo=None) builds the summaries from its records and stores its target shares."""
    con = duckdb.connect(str(demo_db))
    for table in ("distribution_months", "distribution_days", "target_families", "target_shares"):
        con.execute(f"DROP TABLE {table}")
    con.execute("DELETE FROM schema_migrations WHERE version IN (20, 30)")
    con.close()
    assert main(["migrate", "--db", str(demo_db)]) == 0
    differences, rows, summed = _in_step(demo_db)
    assert differences == 0 and summed == _records(demo_db) and rows > 0
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute("SELECT count(*) FROM target_shares").fetchone()[0] > 0
    con.close()
