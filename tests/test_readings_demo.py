"""Real and demonstration records never add up unnoticed: once real records of a kind are
loaded, the demonstration records of that kind leave the figures (unless the reader asks for
both) and the page says so; a funder spelt several ways is one funder."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.load import load_file
from observatoire import protected, warehouse
from observatoire.filters import Filters

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "indicateurs"
POSTS = SHARED / "conseillers-numeriques-postes-2021-93.csv"
needs_shared = pytest.mark.skipif(not POSTS.exists(), reason="shared reference data missing")


@pytest.fixture(params=["lecteur", "interne"])
def reader(request, monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_SMALL_COUNT_THRESHOLD", raising=False)
    if request.param == "interne":
        monkeypatch.setenv("OBSERVATOIRE_INTERNAL_MODE", "1")
    else:
        monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    return request.param


@needs_shared
def test_real_posts_replace_the_demonstration_posts(demo_db, use_db, reader):
    use_db(demo_db)
    demo_posts = warehouse.key_figures(Filters())["conseiller_posts"]
    assert demo_posts == 62 and warehouse.demo_note(Filters()) is None
    load_file(demo_db, "conseillers", POSTS)
    use_db(demo_db)
    # The 48 real posts, not 62 + 48.
    assert warehouse.key_figures(Filters())["conseiller_posts"] == 48
    assert warehouse.key_figures(Filters(include_demo=False))["conseiller_posts"] == 48
    both = Filters(demo_with_real=True)
    assert warehouse.key_figures(both)["conseiller_posts"] == 48 + 62
    note = warehouse.demo_note(Filters())
    assert "postes de conseillers numériques" in note and "écartés" in note
    assert "additionnées" in warehouse.demo_note(both)
    assert warehouse.demo_note(Filters(include_demo=False)) is None
    # The posts target counts the real posts only: no « 182 % · atteint » from the sum.
    rows = protected.target_rows(Filters())
    posts = rows[rows["indicator"] == "postes"].iloc[0]
    assert posts["achieved"] == 48
    # Other kinds keep their demonstration records (nothing real of them is loaded).
    assert warehouse.key_figures(Filters())["items_distributed"] > 0
    superseded = warehouse.demo_superseded()
    assert "conseillers" in superseded and "distributions" not in superseded


def test_real_distributions_replace_the_demonstration_ones(demo_db, use_db, reader, tmp_path):
    use_db(demo_db)
    file = tmp_path / "distributions.csv"
    file.write_text(
        "date;commune;programme;item;quantite\n"
        + "".join(f"2021-03-0{d};Bobigny;emmaus-connect-2020;tablette;10\n" for d in range(1, 4)),
        encoding="utf-8",
    )
    load_file(demo_db, "distributions", file)
    use_db(demo_db)
    figures = protected.sheet_key_figures(Filters())
    assert figures["items_distributed"] == 30
    assert warehouse.key_figures(Filters())["items_distributed"] == 30
    assert "distributions" in warehouse.demo_note(Filters())
    with_both = protected.sheet_key_figures(Filters(demo_with_real=True))
    assert with_both["items_distributed"] > 30


def test_one_funder_one_line(demo_db, use_db, tmp_path):
    use_db(demo_db)
    file = tmp_path / "financements.csv"
    file.write_text(
        "Année;Financeur;Programme;Commune;EPT;Montant (€);Dispositif\n"
        "2021;ETAT;conseillers-numeriques;Bobigny;;50 000 €;France Relance\n"
        "2021;Etat ;conseillers-numeriques;Montreuil;;10 000 €;France Relance\n"
        "2021;E\u0301tat;conseillers-numeriques;Bondy;;5 000 €;France Relance\n"
        "2021;CAF;emmaus-connect-2020;Bondy;;1 000 €;Plan\n",
        encoding="utf-8",
    )
    load_file(demo_db, "funding", file)
    use_db(demo_db)
    by_funder = warehouse.funding_by_funder(Filters())
    names = list(by_funder["funder"])
    assert names.count("État") == 1 and len(names) == len(set(names)) == 2, names
    # The demonstration funding left the figures: only the real 66 000 €.
    assert warehouse.key_figures(Filters())["euros_committed"] == 66_000
