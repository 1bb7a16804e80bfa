"""« Répartir une enveloppe » (issue #23): every rule computed by hand on a small warehouse of
four communes (round populations, known tablets, a need indicator of our own), floors,
ceilings, exclusions, euros to the euro, the protected form of a masked figure, the URL
round trip and the « part proposée » of the fiche PDF."""

from __future__ import annotations

import io

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl import summary
from observatoire import allocation, protected, warehouse
from observatoire.allocation import AllocationError, AllotChoices, Scenario
from observatoire.filters import Filters
from tests.small_counts import BOBIGNY, COUBRON, MONTREUIL, internal

# Four communes of Grand Paris Grand Est, given round populations in the test warehouse.
A, B, C, D = "93015", "93033", "93047", "93077"
POPULATION = {A: 10_000, B: 20_000, C: 30_000, D: 40_000}
TABLETS = {B: 40, C: 300, D: 100}  # per 1 000: A 0, B 2, C 10, D 2,5 → median 2,25
NEED = {A: 4.0, B: 2.0, C: 1.0, D: 1.0}  # a score, higher = more fragile; mean 2
FOUR = Filters(communes=(A, B, C, D))


@pytest.fixture
def four_db(empty_db, use_db, monkeypatch):
    internal(monkeypatch)  # exact counts: the hand computation needs no masking
    con = duckdb.connect(str(empty_db))
    for code, population in POPULATION.items():
        con.execute("UPDATE communes SET population = ? WHERE code = ?", [population, code])
    for code, quantity in TABLETS.items():
        con.execute(
            "INSERT INTO distributions VALUES ('2020-04-10', ?, 'confinement-2020-tablettes', "
            "'tablette', ?, 'collégiens', 'Département de la Seine-Saint-Denis', false, 99)",
            [code, quantity],
        )
    summary.refresh(con, everything=True)  # as a load does
    con.execute(
        "INSERT INTO indicators (id, label, unit, scale_min, scale_max, direction, measure, grp, "
        "source, vintage, load_id) VALUES ('besoin_test', 'Besoin de test', 'score', 0, 10, "
        "'fragile_haut', 'score', 'Test', 'test', '2023', 98), ('fibre_test', 'Fibre de test', "
        "'%', 0, 100, 'fragile_bas', 'taux', 'Test', 'test', '2023', 98)"
    )
    for code, value in NEED.items():
        con.execute(
            "INSERT INTO indicator_values (commune_code, indicator, year, value, is_demo, "
            "load_id) VALUES (?, 'besoin_test', 2023, ?, false, 98), "
            "(?, 'fibre_test', 2023, ?, false, 98)",
            [code, value, code, 100 - 10 * value],
        )
    con.close()
    use_db(empty_db)
    return empty_db


def _table(indicator: str = "besoin_test", measure: str = "quantite") -> pd.DataFrame:
    item = "tablette" if measure == "quantite" else None
    help_values = protected.map_values(FOUR, "commune", measure, item)
    return allocation.inputs_table(help_values, warehouse.allocation_need(FOUR, indicator))


def _shares(table: pd.DataFrame, scenario: Scenario, rule: str | None = None) -> dict:
    shares = allocation.allocate(table, scenario, rule)
    return dict(zip(table["code"], shares.astype(int), strict=True))


def test_the_inputs_come_from_the_small_warehouse(four_db):
    table = _table().set_index("code")
    assert table["population"].to_dict() == POPULATION
    assert table["help"].to_dict() == {A: 0.0, **{k: float(v) for k, v in TABLETS.items()}}
    assert table["need"].to_dict() == NEED
    assert allocation.median_level(table) == pytest.approx(2.25)
    # A 'fragile_bas' indicator is turned: its gap to the top of its scale (100 − value).
    fibre = _table("fibre_test").set_index("code")["need"]
    assert fibre.to_dict() == {code: 10 * value for code, value in NEED.items()}


def test_a_commune_without_a_need_value_has_no_need_not_zero(four_db):
    """Documented: no value → nothing at the prorata of need, an average need when catching
    up. A need of 0 would weigh it as the least needy instead."""
    con = duckdb.connect(str(four_db))
    con.execute("DELETE FROM indicator_values WHERE commune_code = ?", [A])
    con.close()
    warehouse._cached.clear()
    for indicator in ("besoin_test", "fibre_test"):
        need = _table(indicator).set_index("code")["need"]
        assert pd.isna(need[A]) and need[[B, C, D]].notna().all()


def test_prorata_of_population(four_db):
    assert _shares(_table(), Scenario(100, "population")) == {A: 10, B: 20, C: 30, D: 40}


def test_prorata_of_need_by_hand(four_db):
    # population × need: 40 000, 40 000, 30 000, 40 000 (of 150 000) → 26,67 26,67 20 26,67;
    # whole parts 26 26 20 26 = 98, the 2 units left to the largest remainders (tied at
    # 0,67: the larger populations, D then B).
    shares = _shares(_table(), Scenario(100, "besoin"))
    assert shares == {A: 26, B: 27, C: 20, D: 27}
    assert sum(shares.values()) == 100


def test_catching_up_by_hand(four_db):
    table = _table()
    # Level 2,25 (the median): C (10) and D (2,5) are above it and get nothing. Relative need
    # (need / mean 2): A 2, B 1. Gaps to the level: A 22,5 units, B 5.
    # 10 units: only A's weighted shortfall (2 × 2,25 = 4,5) is cut, to θ = 2,5 > B's 0,25.
    assert _shares(table, Scenario(10, "rattrapage")) == {A: 10, B: 0, C: 0, D: 0}
    # 25 units: both, θ = 0,1: A 10 × (4,5 − 0,1) / 2 = 22, B 20 × (0,25 − 0,1) = 3.
    assert _shares(table, Scenario(25, "rattrapage")) == {A: 22, B: 3, C: 0, D: 0}
    # 100 units: both brought to the level (27,5), the 72,5 left shared by A and B prorata
    # population × need (20 000 each): A 58,75 → 59, B 41,25 → 41.
    assert _shares(table, Scenario(100, "rattrapage")) == {A: 59, B: 41, C: 0, D: 0}
    # A chosen level of 3 per 1 000: D (2,5) is below it now, C (10) still gets nothing.
    shares = _shares(table, Scenario(100, "rattrapage", level=3.0))
    assert shares[C] == 0 and shares[D] > 0 and sum(shares.values()) == 100


def test_mix_of_two_rules_by_hand(four_db):
    # 50 % population (10 20 30 40) + 50 % need (26,67 26,67 20 26,67) = 18,33 23,33 25
    # 33,33 → 18 23 25 33 = 99, the last unit to D (tied remainders, larger population).
    scenario = Scenario(100, "melange", mix=("population", "besoin"), weight=0.5)
    assert _shares(_table(), scenario) == {A: 18, B: 23, C: 25, D: 34}
    # Weight 100 %: the first rule alone.
    whole = Scenario(100, "melange", mix=("population", "besoin"), weight=1.0)
    assert _shares(_table(), whole) == {A: 10, B: 20, C: 30, D: 40}


def test_floors_and_ceilings_are_respected(four_db):
    # Population with a floor of 15 and a ceiling of 35: A raised to 15, D capped at 35, B
    # and C keep their prorata (20 and 30): 100 exactly.
    scenario = Scenario(100, "population", floor=15, ceiling=35)
    assert _shares(_table(), scenario) == {A: 15, B: 20, C: 30, D: 35}
    for rule in ("besoin", "rattrapage", "melange"):
        shares = _shares(_table(), replace_rule(scenario, rule))
        assert sum(shares.values()) == 100, rule
        assert all(15 <= s <= 35 for s in shares.values()), (rule, shares)


def replace_rule(scenario: Scenario, rule: str) -> Scenario:
    from dataclasses import replace

    return replace(scenario, rule=rule)


def test_exclusions_are_honoured(four_db):
    # D excluded: 100 shared 1:2:3 → 16,67 33,33 50 → 16 33 50, the last unit to A.
    scenario = Scenario(100, "population", excluded=frozenset({D}))
    assert _shares(_table(), scenario) == {A: 17, B: 33, C: 50, D: 0}
    for rule in ("besoin", "rattrapage"):
        shares = _shares(_table(), replace_rule(scenario, rule))
        assert shares[D] == 0 and sum(shares.values()) == 100


def test_euros_are_shared_to_the_euro(four_db):
    # 1 001 € prorata population: 100,1 200,2 300,3 400,4 → the one euro left to D.
    shares = _shares(_table(measure="euros"), Scenario(1001, "population"))
    assert shares == {A: 100, B: 200, C: 300, D: 401}


def test_impossible_scenarios_say_why_in_french(four_db):
    table = _table()
    with pytest.raises(AllocationError, match="planchers"):
        allocation.allocate(table, Scenario(10, "population", floor=3))
    with pytest.raises(AllocationError, match="plafonds"):
        allocation.allocate(table, Scenario(100, "population", ceiling=20))
    with pytest.raises(AllocationError, match="exclues"):
        allocation.allocate(table, Scenario(10, "population", excluded=frozenset(POPULATION)))
    with pytest.raises(AllocationError, match="niveau"):
        allocation.allocate(table, Scenario(10, "rattrapage", level=0.0))


def test_largest_remainder_sums_exactly():
    rng = np.random.default_rng(93)
    for _ in range(200):
        shares = rng.random(39) * 50
        amount = int(round(shares.sum()))
        shares = shares * amount / shares.sum()
        whole = allocation.largest_remainder(shares, amount)
        assert whole.sum() == amount
        assert (np.abs(whole - shares) < 1).all()


def test_comparison_table_reading_and_fiche_share(four_db):
    choices = AllotChoices(amount=100, rule="besoin", indicator="besoin_test")
    comparison = allocation.compare(_table(), choices)
    frame = allocation.display_table(comparison, "Besoin").set_index("Commune")
    assert list(frame.columns[-4:]) == [
        "Part – prorata de la population",
        "Part – prorata du besoin",
        "Part – rattrapage",
        allocation.AFTER_COLUMN,
    ]
    montfermeil = frame.loc["Montfermeil"]
    assert montfermeil["Part – rattrapage"] == 0  # above the median level
    assert montfermeil[allocation.AFTER_COLUMN] == pytest.approx((300 + 20) / 30, abs=0.005)
    # A (Coubron) gains the most against the population prorata: 26 against 10.
    assert allocation.reading(comparison) == (
        "Avec la règle « prorata du besoin », Coubron recevrait 26 tablettes, soit 16 de plus "
        "qu'au prorata de la population."
    )
    share = allocation.proposed_share(comparison, A)
    assert share["share"] == "26 tablettes" and share["population_share"] == "10 tablettes"


def test_fiche_pdf_carries_the_proposed_share(four_db):
    from pypdf import PdfReader

    from observatoire.fiche import content, render

    choices = AllotChoices(amount=100, rule="besoin", indicator="besoin_test")
    comparison = allocation.compare(_table(), choices)
    proposed = content.ProposedShare(
        **allocation.proposed_share(comparison, A), link="http://localhost:8501/repartir"
    )
    pdf = PdfReader(io.BytesIO(render.build(A, FOUR, proposed=proposed)))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "Part proposée" in text
    assert "26 tablettes sur une enveloppe de 100 tablettes" in text


def test_a_masked_figure_is_used_in_its_protected_form(small_db):
    """Coubron's 3 ordinateurs read « < 5 » for a lecteur (and Montreuil's 120 « secret », to
    protect them): catching up uses their protected form — what the published totals of
    their EPT or of the département leave, by population — never the hidden count; the
    median leaves them out, and their help per 1 000 reads « masqué »."""
    whole = Filters()
    filters = Filters(communes=(COUBRON, MONTREUIL, BOBIGNY))
    help_values = protected.map_values(filters, "commune", "quantite", "ordinateur")
    communes = protected.map_values(whole, "commune", "quantite", "ordinateur")
    epts = protected.map_values(whole, "ept", "quantite", "ordinateur")
    departement = protected.protected_counts(whole, "item:ordinateur", "departement")
    total = departement.table["value"].iloc[0]
    estimates = allocation.protected_estimates(
        communes, epts, None if pd.isna(total) else float(total)
    )
    hidden = set(communes.loc[communes["mask_text"].notna(), "code"])
    assert {COUBRON, MONTREUIL} <= hidden and set(estimates) == hidden
    # By hand from the published figures only: a published EPT's total minus its published
    # communes, by population among its hidden ones; the rest of the département otherwise.
    for ept, rows in communes[communes["code"].isin(hidden)].groupby("ept_code"):
        ept_row = epts.set_index("code").loc[ept]
        if pd.isna(ept_row["mask_text"]):
            shown = communes[(communes["ept_code"] == ept) & ~communes["code"].isin(hidden)]
            residual = ept_row["value"] - shown["value"].fillna(0).sum()
            for _, row in rows.iterrows():
                share = residual * row["population"] / rows["population"].sum()
                assert estimates[row["code"]] == pytest.approx(share)
    assert allocation.protected_forms(filters, help_values, "quantite", "ordinateur") == estimates
    table = allocation.inputs_table(
        help_values, warehouse.allocation_need(filters, "ifn"), estimates
    )
    rows = table.set_index("code")
    assert rows.at[COUBRON, "masked"] and rows.at[COUBRON, "help"] == estimates[COUBRON]
    # Only Bobigny (0) is published: the median level is 0 and nobody is below it.
    assert allocation.median_level(table) == 0
    choices = AllotChoices(amount=50, rule="rattrapage", item="ordinateur", level=2.0)
    comparison = allocation.compare(table, choices)
    assert comparison.ok, comparison.errors
    shown = allocation.display_table(comparison, "Besoin").set_index("Commune")
    assert shown.at["Coubron", "Aide actuelle (ordinateurs)"] == "< 5"
    assert shown.at["Montreuil", "Aide actuelle (ordinateurs)"] == "secret"
    for name in ("Coubron", "Montreuil"):
        assert shown.at[name, allocation.RATE_COLUMN] == "masqué"
        assert shown.at[name, allocation.AFTER_COLUMN] == "masqué"
    assert "3" not in str(shown.loc["Coubron", "Aide actuelle (ordinateurs)"])
    assert shown["Part – rattrapage"].sum() == 50
    assert shown.attrs.get("counts") == "protected"  # exports allowed, as on the map


# The link -------------------------------------------------------------------------------


def test_every_choice_round_trips_through_the_url():
    choices = AllotChoices(
        measure="quantite",
        item="ordinateur",
        amount=250,
        rule="melange",
        indicator="ifn_pauvrete",
        level=12.5,
        mix=("besoin", "rattrapage"),
        weight=70,
        floor=2,
        ceiling=30,
        excluded=(A, B),
    ).checked(["ifn", "ifn_pauvrete"], [A, B, C])
    query = choices.to_query()
    assert query == {
        "detail": "ordinateur",
        "enveloppe": "250",
        "regle": "melange",
        "besoin": "ifn_pauvrete",
        "cible": "12.5",
        "melange": "besoin,rattrapage",
        "poids": "70",
        "plancher": "2",
        "plafond": "30",
        "exclure": f"{A},{B}",
    }
    assert AllotChoices.from_query(query, ["ifn", "ifn_pauvrete"], [A, B, C]) == choices
    # Through the widgets too.
    assert AllotChoices.from_widgets(choices.widget_state(), ["ifn", "ifn_pauvrete"]) == choices
    # Defaults stay out of links; bad values fall back to them; an absurd envelope is clamped.
    assert AllotChoices().checked().to_query() == {}
    odd = AllotChoices.from_query(
        {
            "aide": "bitcoins",
            "regle": "loterie",
            "enveloppe": "-5",
            "poids": "250",
            "melange": "population,population",
            "exclure": "99999",
        },
        ["ifn"],
        [A],
    )
    assert odd == AllotChoices(amount=1, weight=100).checked(["ifn"], [A])
    assert AllotChoices.from_query({"enveloppe": "1e99"}).amount == 400  # unreadable: default
    assert AllotChoices.from_query({"enveloppe": "999999999999"}).amount == allocation.MAX_AMOUNT


def test_every_rule_method_is_in_the_readme():
    from tests.conftest import ROOT

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "## Répartir une enveloppe" in readme
    for sentence in (*allocation.METHODS.values(), allocation.ROUNDING):
        assert " ".join(sentence.split()) in readme, sentence
    for key in AllotChoices.url_keys():
        assert f"`{key}`" in readme, key


def test_invariants_on_random_scenarios():
    """Whatever the rule: shares add up to the envelope, within floor and ceiling, nothing for
    an excluded commune, nothing under catching up for a commune at or above the level."""
    rng = np.random.default_rng(23)
    for _ in range(60):
        n = int(rng.integers(3, 40))
        table = pd.DataFrame(
            {
                "code": [f"c{i}" for i in range(n)],
                "population": rng.integers(1_000, 400_000, n).astype(float),
                "help": rng.integers(0, 3_000, n).astype(float),
                "masked": False,
                "need": rng.uniform(0, 10, n),
            }
        )
        amount = int(rng.integers(n, 100_000))
        floor = int(rng.integers(0, amount // n + 1)) if rng.random() < 0.5 else 0
        ceiling = None if rng.random() < 0.5 else int(amount // n * rng.uniform(1.2, 5)) + 1
        excluded = frozenset(rng.choice(table["code"], int(rng.integers(0, n // 3 + 1))))
        for rule in ("population", "besoin", "rattrapage", "melange"):
            scenario = Scenario(amount, rule, floor=floor, ceiling=ceiling, excluded=excluded)
            try:
                shares = allocation.allocate(table, scenario)
            except AllocationError:
                continue
            kept = ~table["code"].isin(excluded)
            assert shares.sum() == amount, (rule, scenario)
            assert (shares[~kept] == 0).all()
            assert (shares[kept] >= floor).all()
            assert ceiling is None or (shares <= ceiling).all()
            if rule == "rattrapage" and floor == 0:
                level = allocation.median_level(table[kept])
                above = kept & (allocation.help_rates(table) >= level)
                assert (shares[above] == 0).all(), scenario
