"""The « Données » page: loads and their rejected rows; uploads through the loader when the
deployment enables them with a password."""

from __future__ import annotations

from pathlib import Path

import duckdb

DATA = Path(__file__).parent / "data" / "load"


def _open(app, monkeypatch, password: str | None):
    if password:
        monkeypatch.setenv("OBSERVATOIRE_UPLOAD_PASSWORD", password)
    else:
        monkeypatch.delenv("OBSERVATOIRE_UPLOAD_PASSWORD", raising=False)
    at = app.run()
    at.switch_page("views/data.py").run()
    assert not at.exception
    return at


def _upload(at, name: str, password: str, kind: str = "distributions"):
    at.selectbox[-1].set_value(kind)  # the form's « Type de fichier »
    at.file_uploader[0].set_value((name, (DATA / name).read_bytes(), "text/csv"))
    at.text_input(key="upload_password").input(password)
    next(b for b in at.button if b.label == "Charger").click().run()
    assert not at.exception
    return at


def test_loads_are_listed_and_uploads_are_off_by_default(app, monkeypatch):
    at = _open(app, monkeypatch, None)
    assert at.title[0].value == "Données"
    loads = at.dataframe[0].value
    assert {"référentiel", "démonstration"} <= set(loads["Type"])
    assert "OBSERVATOIRE_UPLOAD_PASSWORD" in at.info[0].value
    assert len(at.file_uploader) == 0


def test_wrong_password_changes_nothing(app, monkeypatch, demo_db):
    at = _open(app, monkeypatch, "secret")
    at = _upload(at, "distributions_rules.csv", "mauvais")
    assert "Mot de passe de dépôt incorrect" in at.error[0].value
    con = duckdb.connect(str(demo_db), read_only=True)
    # reference, demo, contours and the three shipped need-side files (IFN, places)
    assert con.execute("SELECT count(*) FROM loads").fetchone() == (6,)
    con.close()


def test_upload_loads_the_file_and_shows_its_rejects(app, monkeypatch, demo_db):
    at = _open(app, monkeypatch, "secret")
    at = _upload(at, "distributions_rules.csv", "secret")
    assert "Chargement n°" in at.success[0].value
    con = duckdb.connect(str(demo_db), read_only=True)
    load_id, rejected = con.execute(
        "SELECT load_id, rows_rejected FROM loads WHERE kind = 'distributions'"
    ).fetchone()
    con.close()
    assert rejected > 0
    # The page, rerun, lists the new load and its rejected rows with their reasons.
    at.run()
    assert load_id in set(at.dataframe[0].value["N°"])
    rejects = at.dataframe[1].value
    assert len(rejects) >= rejected and rejects["Motif"].str.len().min() > 0
    # The same file again: « déjà chargé », nothing changes.
    at = _upload(at, "distributions_rules.csv", "secret")
    assert any("déjà chargé" in i.value for i in at.info)


def test_refused_file_says_why_in_french(app, monkeypatch, demo_db):
    at = _open(app, monkeypatch, "secret")
    at = _upload(at, "empty.csv", "secret")
    assert at.error[0].value.startswith("Fichier refusé : ")
    con = duckdb.connect(str(demo_db), read_only=True)
    # reference, demo, contours and the three shipped need-side files (IFN, places)
    assert con.execute("SELECT count(*) FROM loads").fetchone() == (6,)
    con.close()


def test_upload_of_an_indicators_file_with_a_vintage(app, monkeypatch, demo_db):
    at = _open(app, monkeypatch, "secret")
    kind = next(s for s in at.selectbox if s.label == "Type de fichier")
    kind.set_value("indicateurs")
    data = (DATA.parent / "need" / "odt_part_75_ans.csv").read_bytes()
    at.file_uploader[0].set_value(("odt_part_75_ans.csv", data, "text/csv"))
    next(t for t in at.text_input if t.label.startswith("Millésime")).input("2020")
    next(t for t in at.text_input if t.label == "Mot de passe de dépôt").input("secret")
    next(b for b in at.button if b.label == "Charger").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert "ignorées" in at.success[0].value
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute(
        "SELECT count(*) FROM indicator_values v JOIN loads l USING (load_id) "
        "WHERE l.file_name = 'odt_part_75_ans.csv'"
    ).fetchone() == (6,)
    con.close()
