"""Targets: the territorial share rule, achievements per territory, status and pace, against
figures computed by hand on a tiny warehouse."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from etl import summary, target_shares
from observatoire import warehouse
from observatoire.filters import Filters

MONTREUIL, BOBIGNY, AUBERVILLIERS, SAINT_DENIS = "93048", "93008", "93001", "93066"
EST_ENSEMBLE, PLAINE_COMMUNE = "200057875", "200057867"
TERRES_ENVOL, GRAND_EST = "200058097", "200058790"
POP = {
    "93": 1_704_316,
    EST_ENSEMBLE: 447_969,
    PLAINE_COMMUNE: 453_671,
    TERRES_ENVOL: 382_343,
    GRAND_EST: 420_333,
    MONTREUIL: 111_934,
    BOBIGNY: 56_927,
    AUBERVILLIERS: 88_365,
    SAINT_DENIS: 149_077,
}
TEST = Filters(programmes=("test-prog",))
MID_YEAR = date(2021, 7, 2)  # 182 of the 364 days from 01/01/2021 to 31/12/2021


@pytest.fixture
def targets_db(empty_db, use_db):
    """A programme (01/01/2021, no end) with, for ordinateurs, a département target of 1 000
    (deadline 31/12/2021), an explicit Est Ensemble target of 300, explicit commune targets
    of 100 (Montreuil, in Est Ensemble) and 50 (Aubervilliers, in Plaine Commune); and a
    10 000 € département budget without deadline.
    Distributions: Montreuil 40, Bobigny 10, Aubervilliers 25, Saint-Denis 5 (demo).
    Funding: 4 000 € département-wide, 1 000 € to Est Ensemble, 500 € to Montreuil."""
    con = duckdb.connect(str(empty_db))
    con.execute(
        """INSERT INTO programmes VALUES ('test-prog', 'Programme test', 'Opérateur test',
        '2021-01-01', NULL, 'cp-2020-11-17-emmaus-connect', 'Programme de test', 99)"""
    )
    con.execute(
        """INSERT INTO targets VALUES
        ('test-prog', 'quantite', 'ordinateur', 1000, 'ordinateurs', 'departement', '93',
         '2021-12-31', 'cp-2020-11-17-emmaus-connect', 'Ordinateurs distribués', NULL, NULL, NULL, 99),
        ('test-prog', 'quantite', 'ordinateur', 300, 'ordinateurs', 'ept', '200057875',
         '2021-12-31', 'cp-2020-11-17-emmaus-connect', 'dont Est Ensemble', NULL, NULL, NULL, 99),
        ('test-prog', 'quantite', 'ordinateur', 100, 'ordinateurs', 'commune', '93048',
         '2021-12-31', 'cp-2020-11-17-emmaus-connect', 'dont Montreuil', NULL, NULL, NULL, 99),
        ('test-prog', 'quantite', 'ordinateur', 50, 'ordinateurs', 'commune', '93001',
         '2021-12-31', 'cp-2020-11-17-emmaus-connect', 'dont Aubervilliers', NULL, NULL, NULL, 99),
        ('test-prog', 'montant', NULL, 10000, '€', 'departement', '93', NULL,
         'cp-2020-11-17-emmaus-connect', 'Budget', NULL, NULL, NULL, 99)"""
    )
    target_shares.refresh(con)  # as a targets load does
    con.execute(
        """INSERT INTO distributions VALUES
        ('2021-03-01', '93048', 'test-prog', 'ordinateur', 40, NULL, NULL, false, 99),
        ('2021-04-01', '93008', 'test-prog', 'ordinateur', 10, NULL, NULL, false, 99),
        ('2021-05-01', '93001', 'test-prog', 'ordinateur', 25, NULL, NULL, false, 99),
        ('2021-05-20', '93066', 'test-prog', 'ordinateur', 5, NULL, NULL, true, 98)"""
    )
    summary.refresh(con, everything=True)  # as a load does
    con.execute(
        """INSERT INTO funding (date, funder, programme_id, commune_code, ept_code, amount_eur,
        scheme, is_demo, load_id) VALUES
        ('2021-02-01', 'État', 'test-prog', NULL, NULL, 4000, 'X', false, 99),
        ('2021-02-01', 'EPT Est Ensemble', 'test-prog', NULL, '200057875', 1000, 'Y', false, 99),
        ('2021-02-01', 'Commune de Montreuil', 'test-prog', '93048', NULL, 500, 'Z', false, 99)"""
    )
    con.close()
    return use_db(empty_db)


def _by_code(frame, indicator="quantite"):
    return frame[frame["indicator"] == indicator].set_index("territory_code")


def test_ept_shares_explicit_target_wins_and_the_rest_is_shared(targets_db):
    epts = _by_code(warehouse.target_territory_progress(TEST, "ept", today=MID_YEAR))
    assert len(epts) == 4
    assert epts.loc[EST_ENSEMBLE, "target_share"] == 300
    assert epts.loc[EST_ENSEMBLE, "share_rule"] == "objectif explicite"
    # The other EPTs share 1 000 - 300 = 700 pro rata of their population.
    rest = POP["93"] - POP[EST_ENSEMBLE]
    for ept in (PLAINE_COMMUNE, TERRES_ENVOL, GRAND_EST):
        assert epts.loc[ept, "target_share"] == pytest.approx(700 * POP[ept] / rest)
        assert epts.loc[ept, "share_rule"] == "prorata de la population"
        assert epts.loc[ept, "share_of"] == "departement"
    assert epts["target_share"].sum() == pytest.approx(1000)
    assert epts.loc[EST_ENSEMBLE, "achieved"] == 40 + 10
    assert epts.loc[PLAINE_COMMUNE, "achieved"] == 25 + 5
    assert epts.loc[TERRES_ENVOL, "achieved"] == 0
    assert epts.loc[EST_ENSEMBLE, "progress"] == pytest.approx(50 / 300)
    assert epts.loc[EST_ENSEMBLE, "population"] == POP[EST_ENSEMBLE]
    assert epts.loc[PLAINE_COMMUNE, "territory_name"] == "Plaine Commune"


def test_commune_shares_follow_the_hierarchy(targets_db):
    communes = _by_code(warehouse.target_territory_progress(TEST, "commune", today=MID_YEAR))
    assert len(communes) == 39
    assert communes.loc[MONTREUIL, "target_share"] == 100
    assert communes.loc[MONTREUIL, "share_rule"] == "objectif explicite"
    # Bobigny shares what Est Ensemble's 300 leaves once Montreuil's 100 is taken out,
    # with the other Est Ensemble communes.
    assert communes.loc[BOBIGNY, "target_share"] == pytest.approx(
        200 * POP[BOBIGNY] / (POP[EST_ENSEMBLE] - POP[MONTREUIL])
    )
    assert communes.loc[BOBIGNY, "share_of"] == "ept"
    # Saint-Denis shares Plaine Commune's part of the département target, less Aubervilliers' 50.
    plaine = 700 * POP[PLAINE_COMMUNE] / (POP["93"] - POP[EST_ENSEMBLE])
    assert communes.loc[SAINT_DENIS, "target_share"] == pytest.approx(
        (plaine - 50) * POP[SAINT_DENIS] / (POP[PLAINE_COMMUNE] - POP[AUBERVILLIERS])
    )
    assert communes.loc[SAINT_DENIS, "share_of"] == "departement"
    # The communes of each EPT add up to the EPT's share, and everything to the target.
    est = communes[communes["ept_code"] == EST_ENSEMBLE]
    assert est["target_share"].sum() == pytest.approx(300)
    assert communes["target_share"].sum() == pytest.approx(1000)
    assert communes.loc[MONTREUIL, "achieved"] == 40
    assert communes.loc[SAINT_DENIS, "achieved"] == 5


def test_money_counts_where_it_was_given(targets_db):
    epts = _by_code(warehouse.target_territory_progress(TEST, "ept"), "montant")
    # Est Ensemble: its own 1 000 € and Montreuil's 500 €; the 4 000 € département-wide are
    # counted for no territory.
    assert epts.loc[EST_ENSEMBLE, "achieved"] == 1500
    assert epts.loc[EST_ENSEMBLE, "target_share"] == pytest.approx(
        10_000 * POP[EST_ENSEMBLE] / POP["93"]
    )
    assert epts["achieved"].sum() == 1500
    communes = _by_code(warehouse.target_territory_progress(TEST, "commune"), "montant")
    assert communes.loc[MONTREUIL, "achieved"] == 500
    assert communes["achieved"].sum() == 500


def test_territory_filter_chooses_rows_and_other_filters_count(targets_db):
    only_est = warehouse.target_territory_progress(TEST.with_(ept=EST_ENSEMBLE), "commune")
    assert set(only_est["ept_code"]) == {EST_ENSEMBLE}
    assert len(only_est[only_est["indicator"] == "quantite"]) == 9
    # An EPT row for the EPT of a chosen commune, counted over the whole EPT.
    ept = _by_code(warehouse.target_territory_progress(TEST.with_(communes=(BOBIGNY,)), "ept"))
    assert list(ept.index) == [EST_ENSEMBLE] and ept.loc[EST_ENSEMBLE, "achieved"] == 50
    no_demo = _by_code(
        warehouse.target_territory_progress(TEST.with_(include_demo=False), "commune")
    )
    assert no_demo.loc[SAINT_DENIS, "achieved"] == 0 and not no_demo["has_demo"].any()
    before = _by_code(
        warehouse.target_territory_progress(TEST.with_(date_to=date(2021, 3, 31)), "ept")
    )
    assert before.loc[EST_ENSEMBLE, "achieved"] == 40


def test_a_single_commune_target_concerns_only_its_commune(targets_db):
    filters = Filters(programmes=("la-courneuve-dsil",))
    communes = warehouse.target_territory_progress(filters, "commune")
    assert set(communes["territory_code"]) == {"93027"}
    epts = warehouse.target_territory_progress(filters, "ept")
    assert set(epts["territory_code"]) == {PLAINE_COMMUNE}
    row = epts[epts["indicator"] == "quantite"].iloc[0]
    assert row["target_share"] == 3500 and row["share_rule"] == "objectif explicite"
    assert row["share_of"] == "commune"


def test_level_is_checked():
    with pytest.raises(ValueError):
        warehouse.target_territory_progress(Filters(), "region")


def test_status_and_pace_from_the_time_elapsed(targets_db):
    epts = _by_code(warehouse.target_territory_progress(TEST, "ept", today=MID_YEAR))
    est = epts.loc[EST_ENSEMBLE]
    assert est["elapsed"] == pytest.approx(0.5)
    assert est["remaining"] == 250
    # 250 to go in 182 days, i.e. 182 / 30.4375 months.
    assert est["monthly_pace"] == pytest.approx(250 / (182 / 30.4375))
    assert est["status"] == "en retard"  # 50 < 300 × 0.5
    assert epts.loc[TERRES_ENVOL, "status"] == "non commencé"
    communes = _by_code(warehouse.target_territory_progress(TEST, "commune", today=MID_YEAR))
    assert communes.loc[AUBERVILLIERS, "status"] == "en bonne voie"  # 25 = 50 × 0.5
    assert communes.loc[MONTREUIL, "status"] == "en retard"  # 40 < 100 × 0.5
    # Laggards first: late, then not started, then on track, then met.
    ranks = dict(zip(communes["status"], communes["status_rank"], strict=False))
    assert ranks["en retard"] < ranks["non commencé"] < ranks["en bonne voie"]
    assert communes.loc[MONTREUIL, "lag"] == pytest.approx(0.4 - 0.5)
    # After the deadline: no pace, all the time is gone.
    late = _by_code(warehouse.target_territory_progress(TEST, "ept", today=date(2022, 3, 1)))
    assert late.loc[EST_ENSEMBLE, "elapsed"] == 1 and pd.isna(
        late.loc[EST_ENSEMBLE, "monthly_pace"]
    )
    # Before the start: nothing was expected yet.
    early = _by_code(warehouse.target_territory_progress(TEST, "ept", today=date(2020, 6, 1)))
    assert early.loc[EST_ENSEMBLE, "elapsed"] == 0
    assert early.loc[EST_ENSEMBLE, "status"] == "en bonne voie"
    # No deadline and no programme end: status from progress only.
    money = _by_code(warehouse.target_territory_progress(TEST, "ept", today=MID_YEAR), "montant")
    assert money.loc[EST_ENSEMBLE, "status"] == "en cours"
    assert pd.isna(money.loc[EST_ENSEMBLE, "elapsed"])
    assert money.loc[PLAINE_COMMUNE, "status"] == "non commencé"


def test_target_met_is_atteint(targets_db):
    con = duckdb.connect(str(targets_db))
    con.execute(
        "INSERT INTO distributions VALUES "
        "('2021-06-01', '93001', 'test-prog', 'ordinateur', 30, NULL, NULL, false, 99)"
    )
    summary.refresh(con, everything=True)  # as a load does
    con.close()
    communes = _by_code(warehouse.target_territory_progress(TEST, "commune", today=MID_YEAR))
    assert communes.loc[AUBERVILLIERS, "status"] == "atteint"  # 55 ≥ 50
    assert communes.loc[AUBERVILLIERS, "remaining"] == 0
    assert pd.isna(communes.loc[AUBERVILLIERS, "monthly_pace"])


def test_target_progress_lists_targets_over_their_own_scope(targets_db):
    rows = warehouse.target_progress(TEST, today=MID_YEAR)
    quantities = rows[rows["indicator"] == "quantite"].set_index("label")
    assert list(quantities.index) == [
        "Ordinateurs distribués",
        "dont Est Ensemble",
        "dont Montreuil",
        "dont Aubervilliers",
    ]
    assert list(quantities["achieved"]) == [80, 50, 40, 25]
    assert (quantities["share_rule"] == "objectif entier").all()
    assert quantities.loc["Ordinateurs distribués", "status"] == "en retard"  # 80 < 500
    money = rows[rows["indicator"] == "montant"].iloc[0]
    assert money["achieved"] == 5500 and pd.isna(money["departement_wide_not_shared"])
    # Cumulative achievement month by month.
    monthly = quantities.loc["Ordinateurs distribués", "monthly"]
    assert [(m["month"], m["achieved"]) for m in monthly] == [
        (date(2021, 3, 1), 40),
        (date(2021, 4, 1), 50),
        (date(2021, 5, 1), 80),
    ]


def test_target_progress_under_a_territory_filter_matches_the_breakdown(targets_db):
    est = warehouse.target_progress(TEST.with_(ept=EST_ENSEMBLE), today=MID_YEAR)
    assert len(est) == 2  # one row per target family
    quantity = est[est["indicator"] == "quantite"].iloc[0]
    assert quantity["label"] == "Ordinateurs distribués"
    assert quantity["target_share"] == 300 and quantity["achieved"] == 50
    assert quantity["share_rule"] == "objectif explicite"
    money = est[est["indicator"] == "montant"].iloc[0]
    assert money["achieved"] == 1500 and money["departement_wide_not_shared"] == 4000
    breakdown = _by_code(warehouse.target_territory_progress(TEST, "ept", today=MID_YEAR))
    assert quantity["status"] == breakdown.loc[EST_ENSEMBLE, "status"]
    # Several communes: the sum of their shares and achievements.
    two = warehouse.target_progress(TEST.with_(communes=(MONTREUIL, BOBIGNY)), today=MID_YEAR)
    communes = _by_code(warehouse.target_territory_progress(TEST, "commune"))
    quantity = two[two["indicator"] == "quantite"].iloc[0]
    assert quantity["target_share"] == pytest.approx(
        communes.loc[[MONTREUIL, BOBIGNY], "target_share"].sum()
    )
    assert quantity["achieved"] == 50
    assert quantity["share_rule"] == "objectif explicite et prorata de la population"
