"""Rejected rows keep what is needed to fix them (row, column, reason, and the value only
when it cannot be personal data), and only gestionnaires see them, in every configuration."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from etl.api import load_file
from etl.scrub import PLACEHOLDER, reject_value
from tests.test_data_page import _open

DATA = Path(__file__).parent / "data" / "load"


@pytest.mark.parametrize(
    "value",
    [
        "Mme Diallo 06 12 34 56 78",
        "0612345678",
        "+33 6 12 34 56 78",
        "fatima.diallo@example.fr",
        "1 85 05 78 006 084 36",
        "2 85 05 2A 123 456",
        "12/03/1984",
        "1984-03-12",
        "née le 12/03/2008",
        "Mme B., rappeler demain matin",
        "x" * 51,
    ],
)
def test_personal_values_are_not_kept(value):
    assert reject_value(value) == PLACEHOLDER


@pytest.mark.parametrize(
    "value",
    ["Gotham", "Le Pré Saint Gervais", "93999", "2,5", "-4", "beaucoup", "31/02/2021",
     "1999-12-31", "2099-01-01", "programme-fantome", "1 000", "vélo",
     '=HYPERLINK("http://exemple.invalid";"clic")'],
)  # fmt: skip
def test_values_needed_to_fix_a_file_are_kept(value):
    assert reject_value(value) == value


def test_none_stays_none():
    assert reject_value(None) is None


def _rejects(db, load_id) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            'SELECT row_number, "column", value, reason FROM rejected_rows WHERE load_id = ? '
            "ORDER BY row_number",
            [load_id],
        ).fetchall()
    finally:
        con.close()


def test_distribution_loader_stores_no_personal_value(empty_db):
    content = (
        b"date;commune;programme;item;quantite\n"
        b"2021-03-01;Mme Diallo 06 12 34 56 78;emmaus-connect-2020;tablette;1\n"
        b"2021-03-01;Bobigny;emmaus-connect-2020;a.b@example.fr;1\n"
        b"12/03/1984;Bobigny;emmaus-connect-2020;tablette;1\n"
        b"2021-03-01;Gotham;emmaus-connect-2020;tablette;1\n"
    )
    result = load_file(empty_db, "distributions", content, file_name="d.csv")
    rows = _rejects(empty_db, result.load_id)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (2, "commune", PLACEHOLDER),
        (3, "item", PLACEHOLDER),
        (4, "date", PLACEHOLDER),
        (5, "commune", "Gotham"),
    ]
    assert all(r[3] for r in rows)  # every reason kept
    con = duckdb.connect(str(empty_db), read_only=True)
    stored = " ".join(str(v) for (v,) in con.execute("SELECT value FROM rejected_rows").fetchall())
    con.close()
    assert "06 12" not in stored and "@" not in stored and "1984" not in stored


def test_need_loader_stores_no_personal_value(empty_db):
    content = (
        b"code_insee;indicateur;annee;valeur;unite;source\n"
        b"93001;taux_pauvrete;2021;Mme Diallo 06 12 34 56 78;%;INSEE Filosofi\n"
        b"93001;taux_pauvrete;2021;beaucoup;%;INSEE Filosofi\n"
    )
    result = load_file(empty_db, "indicateurs", content, file_name="i.csv")
    values = [r[2] for r in _rejects(empty_db, result.load_id)]
    assert values == [PLACEHOLDER, "beaucoup"]


def test_no_sign_in_no_password_shows_no_rejects(app, monkeypatch, demo_db):
    load_file(demo_db, "distributions", DATA / "distributions_rules.csv")
    at = _open(app, monkeypatch, None)
    assert len(at.dataframe) == 1  # the loads only
    assert any("réservés aux gestionnaires" in c.value for c in at.caption)
    assert not any(s.label == "Chargement" for s in at.selectbox)


def test_password_mode_shows_rejects_only_after_the_password(app, monkeypatch, demo_db):
    load_file(demo_db, "distributions", DATA / "distributions_rules.csv")
    at = _open(app, monkeypatch, "secret")
    assert len(at.dataframe) == 1
    assert any("après un dépôt avec le mot de passe" in c.value for c in at.caption)
    # A wrong password proves nothing.
    at.file_uploader[0].set_value(("e.csv", (DATA / "empty.csv").read_bytes(), "text/csv"))
    at.text_input(key="upload_password").input("mauvais")
    next(b for b in at.button if b.label == "Charger").click().run()
    assert len(at.dataframe) == 1
    at.text_input(key="upload_password").input("secret")
    next(b for b in at.button if b.label == "Charger").click().run()
    at.run()
    assert len(at.dataframe) == 2 and "Motif" in at.dataframe[1].value.columns
