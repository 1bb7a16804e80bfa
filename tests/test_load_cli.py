"""`python -m etl load`, `rejects` and `status`: output, exit codes, rejects written safely."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from etl.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "load"


def _next_load_id(db: Path) -> int:
    """The id the next load will get (init records the reference data's loads first)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT max(load_id) + 1 FROM loads").fetchone()[0]
    finally:
        con.close()


def test_load_prints_counts_and_how_to_see_the_rejects(empty_db, capsys):
    path = DATA / "distributions_rules.csv"
    n = _next_load_id(empty_db)
    assert main(["load", "distributions", str(path), "--db", str(empty_db)]) == 0
    out = capsys.readouterr().out
    assert (
        "Fichier : distributions_rules.csv (CSV, UTF-8, séparateur « ; », en-tête ligne 1)" in out
    )
    assert (
        f"Chargement n° {n} (distributions, source « distributions_rules.csv ») : 22 lignes "
        "lues, 2 chargées, 20 rejetées." in out
    )
    assert f"python -m etl rejects {n}" in out

    assert main(["load", "distributions", str(path), "--db", str(empty_db)]) == 0
    assert f"déjà chargé (chargement n° {n}) ; rien n'a changé." in capsys.readouterr().out

    assert main(["rejects", "--db", str(empty_db)]) == 0
    listing = capsys.readouterr().out
    assert f"Chargement n° {n} (distributions_rules.csv" in listing
    assert "20 lignes rejetées" in listing
    assert "12     quantite   -4" in listing and "quantité négative" in listing

    assert main(["status", "--db", str(empty_db)]) == 0
    assert "distributions_rules.csv" in capsys.readouterr().out


def test_load_options_source_replace_sheet(empty_db, tmp_path, capsys):
    path = tmp_path / "janvier.csv"
    path.write_text("date;commune;programme;item;quantite\n2021-01-04;Bondy;emmaus-connect-2020;"
                    "tablette;10\n")  # fmt: skip
    args = ["load", "distributions", str(path), "--db", str(empty_db), "--source", "Bondy"]
    n = _next_load_id(empty_db)
    assert main(args) == 0
    path.write_text("date;commune;programme;item;quantite\n2021-01-04;Bondy;emmaus-connect-2020;"
                    "tablette;11\n")  # fmt: skip
    assert main(args) == 1
    assert "relancez avec --replace" in capsys.readouterr().err
    assert main([*args, "--replace"]) == 0
    assert f"Chargement(s) remplacé(s) : n° {n}" in capsys.readouterr().out


def test_refused_file_exits_1_with_one_french_sentence(empty_db, capsys):
    assert main(["load", "distributions", str(DATA / "empty.csv"), "--db", str(empty_db)]) == 1
    assert capsys.readouterr().err == (
        "Erreur : Le fichier « empty.csv » est refusé : il est vide.\n"
    )


def test_usage_errors_exit_2(empty_db, capsys):
    assert main(["load", "bananes", str(DATA / "empty.csv"), "--db", str(empty_db)]) == 2
    assert main(["load", "distributions"]) == 2
    assert main(["rejects", "douze"]) == 2


def test_rejects_of_an_unknown_load(empty_db, capsys):
    assert main(["rejects", "999", "--db", str(empty_db)]) == 1
    assert "Aucun chargement n° 999" in capsys.readouterr().err


def test_rejects_output_neutralises_formulas(empty_db, tmp_path, capsys):
    path = tmp_path / "piege.csv"
    path.write_text(
        "date;commune;programme;item;quantite\n"
        '2021-01-04;"=HYPERLINK(""http://exemple.invalid"";""clic"")";emmaus-connect-2020;'
        "tablette;1\n"
        "2021-01-04;Bondy;+33 1 23;tablette;1\n"
        "2021-01-04;Bondy;emmaus-connect-2020;@SUM(A1);1\n"
        "2021-01-04;Bondy;emmaus-connect-2020;tablette;-4\n"
        "2021-01-04;Bondy;emmaus-connect-2020;<script>alert(1)</script>;1\n",
        encoding="utf-8",
    )
    assert main(["load", "distributions", str(path), "--db", str(empty_db)]) == 0
    output = tmp_path / "rejets.csv"
    assert main(["rejects", "--db", str(empty_db), "--output", str(output)]) == 0
    assert "5 motifs de rejet (5 lignes)" in capsys.readouterr().out
    with output.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["ligne", "colonne", "valeur", "motif"]
    assert [r[:3] for r in rows[1:]] == [
        ["2", "commune", '\'=HYPERLINK("http://exemple.invalid";"clic")'],
        ["3", "programme", "'+33 1 23"],
        ["4", "item", "'@SUM(A1)"],
        ["5", "quantite", "'-4"],
        ["6", "item", "<script>alert(1)</script>"],  # stored and written as plain text
    ]


def test_real_process_exit_codes(empty_db):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "etl", *args, "--db", str(empty_db)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ),
        )

    ok = run("load", "funding", str(DATA / "funding_mixed.csv"))
    assert ok.returncode == 0, ok.stderr
    assert "11 lignes lues, 6 chargées, 5 rejetées" in ok.stdout
    refused = run("load", "funding", str(DATA / "image.png"))
    assert refused.returncode == 1 and "est refusé" in refused.stderr
    usage = run("load", "funding")
    assert usage.returncode == 2


def test_user_documentation_lists_every_synonym_and_option():
    from etl import schemas
    from etl.cli import build_parser

    doc = (ROOT / "docs" / "chargement.md").read_text(encoding="utf-8")
    for contract in schemas.CONTRACTS.values():
        for field in contract.fields:
            for synonym in field.synonyms:
                assert f"`{synonym}`" in doc, (contract.kind, synonym)
    for item, synonyms in schemas.ITEMS.items():
        assert f"`{item}`" in doc
        for synonym in synonyms:
            assert synonym in doc, synonym
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in ("load", "rejects"):
        for action in commands[name]._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in doc, (name, option)
