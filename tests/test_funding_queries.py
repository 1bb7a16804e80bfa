"""Funding queries against a tiny warehouse whose figures are computed by hand."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from etl import summary
from observatoire import warehouse
from observatoire.filters import Filters

MONTREUIL, BOBIGNY, AUBERVILLIERS = "93048", "93008", "93001"
EST_ENSEMBLE, PLAINE_COMMUNE = "200057875", "200057867"
POP_93, POP_EE, POP_MONTREUIL = 1_704_316, 447_969, 111_934
EMMAUS = "Partenariat Département – CAF – Emmaüs Connect"
CONSEILLERS = "Conseillers numériques France Services (France Relance)"
SIM = "Cartes SIM prépayées pour les élèves (avril 2020)"
NOT_SPREAD = "Échelle départementale (non ventilé)"


@pytest.fixture
def funding_db(empty_db, use_db):
    """Funding: CAF 1 000 € département-wide (Emmaüs Connect), État 300 € to Montreuil
    (Emmaüs Connect), EPT Est Ensemble 50 € to itself, Fondation SFR 200 € département-wide
    (cartes SIM, demo), Commune de Bobigny 100 € and État 400 € to Aubervilliers
    (conseillers). Emmaüs Connect gave 10 ordinateurs and 5 recharges in Montreuil and
    4 accompaniments in Bobigny; one conseiller post in Bobigny and one in Aubervilliers."""
    con = duckdb.connect(str(empty_db))
    con.execute(
        """INSERT INTO funding (date, funder, programme_id, commune_code, ept_code, amount_eur,
        scheme, is_demo, load_id) VALUES
        ('2020-11-17', 'CAF', 'emmaus-connect-2020', NULL, NULL, 1000, 'Plan exceptionnel', false, 99),
        ('2020-12-01', 'État', 'emmaus-connect-2020', '93048', NULL, 300, 'France Relance', false, 99),
        ('2021-01-01', 'EPT Est Ensemble', 'conseillers-numeriques', NULL, '200057875', 50,
         'France Relance – cofinancement territorial', false, 99),
        ('2020-04-15', 'Fondation SFR', 'confinement-2020-sim', NULL, NULL, 200, 'Mécénat', true, 98),
        ('2021-02-01', 'Commune de Bobigny', 'conseillers-numeriques', '93008', NULL, 100,
         'Budget communal', false, 99),
        ('2021-03-01', 'État', 'conseillers-numeriques', '93001', NULL, 400, 'France Relance',
         false, 99)"""
    )
    con.execute(
        """INSERT INTO distributions VALUES
        ('2021-01-10', '93048', 'emmaus-connect-2020', 'ordinateur', 10, NULL, NULL, false, 99),
        ('2021-02-10', '93048', 'emmaus-connect-2020', 'recharge', 5, NULL, NULL, false, 99),
        ('2021-03-10', '93008', 'emmaus-connect-2020', 'accompagnement', 4, NULL, NULL, false, 99)"""
    )
    summary.refresh(con, everything=True)  # as a load does
    con.execute(
        """INSERT INTO conseillers (date, commune_code, programme_id, posts, structure_type, is_demo, load_id) VALUES
        ('2021-04-01', '93008', 'conseillers-numeriques', 1, 'publique', false, 99),
        ('2021-04-01', '93001', 'conseillers-numeriques', 1, 'publique', false, 99)"""
    )
    con.close()
    return use_db(empty_db)


def test_summary_splits_money_by_where_it_was_given(funding_db):
    s = warehouse.funding_summary(Filters())
    assert s["total"] == 2050
    assert s["to_communes"] == 300 + 100 + 400
    assert s["to_epts"] == 50
    assert s["departement_wide"] == 1000 + 200
    assert s["funders"] == 5 and s["lines"] == 6
    assert s["has_demo"] and s["population"] == POP_93
    est = warehouse.funding_summary(Filters(ept=EST_ENSEMBLE))
    # Montreuil, Bobigny and the EPT's own money; département-wide money is not spread.
    assert est["total"] == 450 and est["departement_wide"] == 0
    assert not est["has_demo"]
    assert warehouse.funding_summary(Filters(include_demo=False))["total"] == 1850


def test_by_funder_with_kinds_shares_and_euros_per_inhabitant(funding_db):
    frame = warehouse.funding_by_funder(Filters()).set_index("funder")
    assert list(frame.index) == [
        "CAF",
        "État",
        "Fondation SFR",
        "Commune de Bobigny",
        "EPT Est Ensemble",
    ]
    assert dict(frame["funder_type"]) == {
        "CAF": "CAF",
        "État": "État",
        "Fondation SFR": "Partenaire privé",
        "Commune de Bobigny": "Commune",
        "EPT Est Ensemble": "EPT",
    }
    assert frame.loc["État", "amount"] == 700
    assert frame.loc["CAF", "share"] == pytest.approx(1000 / 2050)
    assert frame.loc["CAF", "per_inhabitant"] == pytest.approx(1000 / POP_93)
    assert frame.loc["CAF", "departement_wide"] == 1000
    assert frame.loc["État", "departement_wide"] == 0
    assert frame.loc["État", "programmes"] == 2
    est = warehouse.funding_by_funder(Filters(ept=EST_ENSEMBLE)).set_index("funder")
    assert set(est.index) == {"État", "Commune de Bobigny", "EPT Est Ensemble"}
    assert est.loc["État", "per_inhabitant"] == pytest.approx(300 / POP_EE)


def test_by_programme_and_scheme(funding_db):
    frame = warehouse.funding_by_programme(Filters())
    assert list(dict.fromkeys(frame["programme_id"])) == [
        "emmaus-connect-2020",
        "conseillers-numeriques",
        "confinement-2020-sim",
    ]
    amounts = {(r.programme_id, r.scheme): r.amount for r in frame.itertuples()}
    assert amounts[("emmaus-connect-2020", "Plan exceptionnel")] == 1000
    assert amounts[("conseillers-numeriques", "France Relance")] == 400
    conseillers = frame[frame["programme_id"] == "conseillers-numeriques"]
    assert (conseillers["programme_amount"] == 550).all()
    dated = warehouse.funding_by_programme(Filters(date_from=date(2021, 1, 1)))
    assert set(dated["programme_id"]) == {"conseillers-numeriques"}


def test_by_territory_never_spreads_silently(funding_db):
    epts = warehouse.funding_by_territory(Filters(), "ept").set_index("code")
    assert len(epts) == 4
    assert epts.loc[EST_ENSEMBLE, "amount"] == 300 + 50 + 100
    assert epts.loc[PLAINE_COMMUNE, "amount"] == 400
    assert epts.loc[EST_ENSEMBLE, "per_inhabitant"] == pytest.approx(450 / POP_EE)
    assert epts["amount"].sum() == 850  # the 1 200 € département-wide are not in it
    # The allocation, shown only on request, is pro rata of population.
    assert epts.loc[EST_ENSEMBLE, "departement_not_allocated"] == pytest.approx(
        1200 * POP_EE / POP_93
    )
    assert epts["departement_not_allocated"].sum() == pytest.approx(1200)
    assert epts["ept_not_allocated"].isna().all()
    communes = warehouse.funding_by_territory(Filters(ept=EST_ENSEMBLE), "commune")
    communes = communes.set_index("code")
    assert len(communes) == 9
    assert communes.loc[MONTREUIL, "amount"] == 300
    assert communes.loc[BOBIGNY, "amount"] == 100
    assert communes.loc[MONTREUIL, "ept_not_allocated"] == pytest.approx(
        50 * POP_MONTREUIL / POP_EE
    )
    # Département-wide money under the other filters, whatever the territory filter.
    assert communes.loc[MONTREUIL, "departement_not_allocated"] == pytest.approx(
        1200 * POP_MONTREUIL / POP_93
    )
    no_demo = warehouse.funding_by_territory(Filters(include_demo=False), "ept")
    assert no_demo["departement_not_allocated"].sum() == pytest.approx(1000)


def test_level_is_checked():
    with pytest.raises(ValueError):
        warehouse.funding_by_territory(Filters(), "region")


def test_flows_funder_programme_territory(funding_db):
    flows = warehouse.funding_flows(Filters())
    stage1 = {(r.source, r.target): r.amount for r in flows[flows["stage"] == 1].itertuples()}
    assert stage1 == {
        ("CAF", EMMAUS): 1000,
        ("État", EMMAUS): 300,
        ("État", CONSEILLERS): 400,
        ("Fondation SFR", SIM): 200,
        ("Commune de Bobigny", CONSEILLERS): 100,
        ("EPT Est Ensemble", CONSEILLERS): 50,
    }
    stage2 = {(r.source, r.target): r.amount for r in flows[flows["stage"] == 2].itertuples()}
    assert stage2 == {
        (EMMAUS, NOT_SPREAD): 1000,
        (EMMAUS, "Est Ensemble"): 300,
        (CONSEILLERS, "Est Ensemble"): 150,
        (CONSEILLERS, "Plaine Commune"): 400,
        (SIM, NOT_SPREAD): 200,
    }
    # With a territory filter, communes, and the EPT's own money on its own node.
    est = warehouse.funding_flows(Filters(ept=EST_ENSEMBLE))
    stage2 = {(r.source, r.target): r.amount for r in est[est["stage"] == 2].itertuples()}
    assert stage2 == {
        (EMMAUS, "Montreuil"): 300,
        (CONSEILLERS, "Bobigny"): 100,
        (CONSEILLERS, "EPT Est Ensemble (non ventilé)"): 50,
    }


def test_costs_where_both_sides_exist(funding_db):
    costs = warehouse.funding_costs(Filters()).set_index("programme_id")
    # The cartes SIM have money but nothing distributed: no cost.
    assert set(costs.index) == {"emmaus-connect-2020", "conseillers-numeriques"}
    emmaus = costs.loc["emmaus-connect-2020"]
    assert emmaus["items"] == 15 and emmaus["people"] == 14
    assert emmaus["euros_per_item"] == pytest.approx(1300 / 15)
    assert emmaus["euros_per_person"] == pytest.approx(1300 / 14)
    assert costs.loc["conseillers-numeriques", "euros_per_post"] == pytest.approx(550 / 2)
    montreuil = warehouse.funding_costs(Filters(communes=(MONTREUIL,))).set_index("programme_id")
    assert list(montreuil.index) == ["emmaus-connect-2020"]
    assert montreuil.loc["emmaus-connect-2020", "euros_per_item"] == pytest.approx(300 / 15)
    assert montreuil.loc["emmaus-connect-2020", "euros_per_person"] == pytest.approx(300 / 10)


def test_costs_flag_demonstration_counts(funding_db):
    con = duckdb.connect(str(funding_db))
    con.execute("UPDATE distributions SET is_demo = true WHERE item = 'recharge'")
    summary.refresh(con, everything=True)
    con.close()
    costs = warehouse.funding_costs(Filters()).set_index("programme_id")
    assert costs.loc["emmaus-connect-2020", "has_demo"]
    assert not costs.loc["conseillers-numeriques", "has_demo"]
