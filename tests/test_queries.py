"""The query layer against a tiny warehouse whose figures are computed by hand."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from etl import summary
from observatoire import warehouse
from observatoire.filters import Filters

MONTREUIL, BOBIGNY, AUBERVILLIERS = "93048", "93008", "93001"
EST_ENSEMBLE, PLAINE_COMMUNE = "200057875", "200057867"


@pytest.fixture
def tiny_db(empty_db, monkeypatch):
    """Reference data plus a handful of records:
    Montreuil 10 ordinateurs (emmaus, 2021-01) + 5 recharges (emmaus, 2021-02, demo),
    Bobigny 4 accompagnements (emmaus, 2021-03), Aubervilliers 100 tablettes (tablettes, 2020-04);
    funding: CAF 1000 € département-wide, État 300 € Montreuil, EPT Est Ensemble 50 €;
    one conseiller post in Bobigny."""
    con = duckdb.connect(str(empty_db))
    con.execute(
        """INSERT INTO distributions VALUES
        ('2021-01-10', '93048', 'emmaus-connect-2020', 'ordinateur', 10, 'usagers SSD et CAF', 'Emmaüs Connect', false, 99),
        ('2021-02-10', '93048', 'emmaus-connect-2020', 'recharge', 5, 'collégiens', 'Emmaüs Connect', true, 98),
        ('2021-03-10', '93008', 'emmaus-connect-2020', 'accompagnement', 4, 'allocataires RSA', 'Emmaüs Connect', false, 99),
        ('2020-04-10', '93001', 'confinement-2020-tablettes', 'tablette', 100, 'collégiens', 'Département de la Seine-Saint-Denis', false, 99)"""
    )
    summary.refresh(con, everything=True)  # as a load does
    con.execute(
        """INSERT INTO funding (date, funder, programme_id, commune_code, ept_code, amount_eur,
        scheme, is_demo, load_id) VALUES
        ('2020-11-17', 'CAF', 'emmaus-connect-2020', NULL, NULL, 1000, 'Plan', false, 99),
        ('2020-12-01', 'État', 'emmaus-connect-2020', '93048', NULL, 300, 'X', false, 99),
        ('2021-01-01', 'EPT Est Ensemble', 'conseillers-numeriques', NULL, '200057875', 50, 'Y', false, 99)"""
    )
    con.execute(
        "INSERT INTO conseillers (date, commune_code, programme_id, posts, structure_type, is_demo, load_id) VALUES ('2021-04-01', '93008', 'conseillers-numeriques', 1, 'publique', false, 99)"
    )
    con.close()
    monkeypatch.setenv("OBSERVATOIRE_DB", str(empty_db))
    warehouse._cached.clear()
    return empty_db


def test_key_figures_whole_departement(tiny_db):
    k = warehouse.key_figures(Filters())
    assert k["items_distributed"] == 10 + 5 + 100  # accompaniments are not items
    assert k["people_reached"] == 10 + 4 + 100  # recharges do not count people
    assert k["euros_committed"] == 1350
    assert k["euros_departement_wide"] == 1000
    assert k["conseiller_posts"] == 1
    assert k["communes_reached"] == 3
    assert k["population"] == 1_704_316
    assert k["has_demo"]


def test_key_figures_filters(tiny_db):
    ee = warehouse.key_figures(Filters(ept=EST_ENSEMBLE))
    assert ee["items_distributed"] == 15 and ee["people_reached"] == 14
    # Montreuil's 300 € and the EPT's own 50 €; the département-wide 1 000 € is not spread.
    assert ee["euros_committed"] == 350
    assert ee["conseiller_posts"] == 1
    montreuil = warehouse.key_figures(Filters(communes=(MONTREUIL,)))
    assert montreuil["items_distributed"] == 15 and montreuil["euros_committed"] == 300
    assert montreuil["population"] == 111_934
    no_demo = warehouse.key_figures(Filters(include_demo=False))
    assert no_demo["items_distributed"] == 110 and not no_demo["has_demo"]
    dated = warehouse.key_figures(Filters(date_from=date(2021, 1, 1), date_to=date(2021, 1, 31)))
    assert dated["items_distributed"] == 10 and dated["euros_committed"] == 50
    tablets = warehouse.key_figures(Filters(programmes=("confinement-2020-tablettes",)))
    assert tablets["items_distributed"] == 100 and tablets["euros_committed"] == 0


def test_distributions_by_item_and_month(tiny_db):
    by_item = warehouse.distributions_by_item(Filters(ept=EST_ENSEMBLE))
    assert dict(zip(by_item["item"], by_item["quantity"], strict=True)) == {
        "ordinateur": 10,
        "recharge": 5,
        "accompagnement": 4,
    }
    by_month = warehouse.distributions_by_month(Filters())
    assert len(by_month) == 4
    assert by_month["quantity"].sum() == 119


def test_distributions_by_commune_marks_no_data_as_missing(tiny_db):
    frame = warehouse.distributions_by_commune(Filters())
    assert len(frame) == 39
    montreuil = frame.set_index("code").loc[MONTREUIL]
    assert montreuil["items_distributed"] == 15
    # A commune without records has no value, not zero.
    assert frame["items_distributed"].isna().sum() == 36
    # Bobigny has records (accompaniments) but no item: zero, not "no data".
    assert frame.set_index("code").loc[BOBIGNY, "items_distributed"] == 0


def test_target_progress_whole_and_prorata(tiny_db):
    progress = warehouse.target_progress(Filters())
    row = progress[
        (progress["programme_id"] == "emmaus-connect-2020") & (progress["target_value"] == 1100)
    ].iloc[0]
    assert row["achieved"] == 10 and row["target_share"] == 1100
    assert row["progress"] == pytest.approx(10 / 1100)
    assert row["share_rule"] == "objectif entier"
    caf = progress[(progress["funder"] == "CAF")].iloc[0]
    assert caf["achieved"] == 1000
    # Montreuil's share of a département-wide target is pro rata of population.
    local = warehouse.target_progress(Filters(communes=(MONTREUIL,)))
    row = local[
        (local["programme_id"] == "emmaus-connect-2020") & (local["target_value"] == 1100)
    ].iloc[0]
    assert row["target_share"] == pytest.approx(1100 * 111_934 / 1_704_316)
    assert row["share_rule"] == "prorata de la population"
    assert row["progress"] == pytest.approx(10 / (1100 * 111_934 / 1_704_316))
    # Département-wide money is reported beside, never spread.
    total = local[(local["indicator"] == "montant") & (local["target_value"] == 500_000)].iloc[0]
    assert total["achieved"] == 300
    assert total["departement_wide_not_shared"] == 1000
    # A commune target (La Courneuve) disappears outside La Courneuve.
    assert "la-courneuve-dsil" not in set(local["programme_id"])
    assert "la-courneuve-dsil" in set(progress["programme_id"])


def test_targets_of_collegiens_count_every_item_to_collegiens(tiny_db):
    progress = warehouse.target_progress(Filters())
    row = progress[(progress["target_value"] == 900)].iloc[0]
    assert row["achieved"] == 5  # the recharge for collégiens


def test_new_load_is_seen_at_next_query(tiny_db):
    assert warehouse.key_figures(Filters())["conseiller_posts"] == 1
    warehouse.READER.release()  # as an upload from this process does (see views/data.py)
    con = duckdb.connect(str(tiny_db))
    con.execute(
        "INSERT INTO conseillers (date, commune_code, programme_id, posts, structure_type, is_demo, load_id) VALUES ('2021-05-01', '93048', 'conseillers-numeriques', 2, 'publique', false, 99)"
    )
    con.close()
    assert warehouse.key_figures(Filters())["conseiller_posts"] == 3


def test_missing_warehouse_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_DB", str(tmp_path / "none.duckdb"))
    with pytest.raises(warehouse.WarehouseMissing):
        warehouse.key_figures(Filters())
