"""Text from files is always shown as text: a « Source » label, programme, operator, public,
funder, scheme, target, indicator, place and structure names that hold Markdown links and
images or raw HTML never render as such on any page (every Markdown-rendering element:
markdown, caption, info, warning, error, success, and every label)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from etl.api import load_file

ROOT = Path(__file__).resolve().parent.parent
EVIL = "![x](http://evil.example/a.png) [clic](http://phish.example) <b>gras</b>"
SHORT = "[clic](http://phish.example)"  # fits short fields (public, operator…)
MARKERS = ("evil.example", "phish.example", "gras")
# Unescaped: a bracket (link, image), an HTML tag opener, or a URL GFM would autolink.
UNSAFE = re.compile(r"(?<!\\)\[|(?<!\\)<[a-zA-Z/]|(?<!\\)https?(?<!\\):(?<!\\)//")
PAGES = [
    "views/overview.py",
    "views/map.py",
    "views/need.py",
    "views/allocation.py",
    "views/territory.py",
    "views/targets.py",
    "views/funding.py",
    "views/programmes.py",
    "views/data.py",
]
BOBIGNY = "93008"


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(";".join(r) for r in rows).encode()


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory, _demo_template) -> Path:
    db = tmp_path_factory.mktemp("evil") / "w.duckdb"
    shutil.copy(_demo_template, db)
    programmes = [
        ["id", "nom", "operateur", "debut", "fin", "description"],
        ["prog-x", EVIL, SHORT, "2021-01-01", "2021-12-31", EVIL],
    ]
    load_file(db, "programmes", _csv(programmes), file_name="p.csv", source_label=EVIL)
    distributions = [
        ["date", "commune", "programme", "item", "quantite", "public", "operateur"],
        ["2021-03-01", "Bobigny", "prog-x", "tablette", "40", SHORT, SHORT],
        ["2021-03-02", "Montreuil", "prog-x", "ordinateur", "30", SHORT, SHORT],
    ]
    load_file(db, "distributions", _csv(distributions), file_name="d.csv", source_label=EVIL)
    funding = [
        ["Année", "Financeur", "Programme", "Commune", "EPT", "Montant (€)", "Dispositif"],
        ["2021", SHORT, "prog-x", "Bobigny", "", "10000", SHORT],
    ]
    load_file(db, "funding", _csv(funding), file_name="f.csv", source_label=EVIL)
    targets = [
        ["programme", "indicateur", "item", "objectif", "unité", "périmètre", "code",
         "échéance", "libellé"],
        ["prog-x", "quantite", "tablette", "100", "tablettes", "departement", "",
         "2027-12-31", EVIL],
    ]  # fmt: skip
    load_file(db, "targets", _csv(targets), file_name="t.csv", source_label=EVIL)
    lieux = (ROOT / "tests/data/need/lieux_v1_desordre.csv").read_text(encoding="utf-8")
    lieux = lieux.replace("Médiathèque Persépolis", SHORT.replace(",", " "))
    load_file(db, "lieux", lieux.encode(), file_name="l.csv", source_label=EVIL)
    conseillers = (ROOT / "tests/data/need/anct_coselec.csv").read_text(encoding="utf-8")
    conseillers = conseillers.replace("COMMUNE D'AUBERVILLIERS", SHORT)
    load_file(db, "conseillers", conseillers.encode(), file_name="c.csv", source_label=EVIL)
    indicators = [
        ["code_insee", "indicateur", "annee", "valeur", "unite", "source"],
        *([code, SHORT, "2021", "12,5", "%", SHORT] for code in ("93001", BOBIGNY, "93048")),
    ]
    load_file(db, "indicateurs", _csv(indicators), file_name="i.csv", source_label=EVIL)
    return db


def _texts(node, found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(element type, text) of every Markdown-rendering text under NODE."""
    kind = getattr(node, "type", "")
    if kind in ("markdown", "caption", "info", "warning", "error", "success", "toast"):
        found.append((kind, str(node.value)))
    label = getattr(node, "label", None)
    if isinstance(label, str):
        found.append((f"{kind} label", label))
    for child in getattr(node, "children", {}).values():
        _texts(child, found)
    return found


def _unsafe(at) -> list[tuple[str, str]]:
    texts = _texts(at.main, []) + _texts(at.sidebar, [])
    return [
        (kind, text)
        for kind, text in texts
        if any(m in text for m in MARKERS) and UNSAFE.search(text)
    ]


def _evil_indicator(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT id FROM indicators WHERE label LIKE '%phish%'").fetchone()[0]
    finally:
        con.close()


CASES = [(page, {}) for page in PAGES] + [
    ("views/map.py", {"indicateur": "besoin", "detail": "EVIL", "lieux": "1"}),
    ("views/map.py", {"indicateur": "lieux"}),
    ("views/map.py", {"indicateur": "euros"}),
    ("views/map.py", {"indicateur": "objectif"}),
    ("views/need.py", {"besoin": "EVIL", "aide": "euros"}),
    ("views/allocation.py", {"besoin": "EVIL", "aide": "euros", "regle": "rattrapage"}),
]


@pytest.mark.parametrize("page, query", CASES)
def test_no_markdown_from_files_on_any_page(evil_db, use_db, monkeypatch, page, query):
    use_db(evil_db)
    monkeypatch.setenv("OBSERVATOIRE_UPLOAD_PASSWORD", "secret")  # the data page's forms
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["programme"] = "prog-x"
    if page == "views/territory.py":
        at.query_params["code"] = BOBIGNY
    for key, value in query.items():
        at.query_params[key] = _evil_indicator(evil_db) if value == "EVIL" else value
    at.run()
    if page != "views/overview.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    seen = " ".join(text for _, text in _texts(at.main, []))
    if page in ("views/overview.py", "views/programmes.py", "views/funding.py"):
        assert "phish" in seen  # the labels do reach the page, escaped
    unsafe = _unsafe(at)
    assert unsafe == [], "\n".join(f"{kind}: {text[:300]}" for kind, text in unsafe)


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("![x](http://evil.example/a.png)", r"!\[x\](http\://evil.example/a.png)"),
        ("<b>gras</b> <img src=x>", r"\<b>gras\</b> \<img src=x>"),
        ("« < 5 » ; 2021-2023 ; Besoin : IFN", "« < 5 » ; 2021-2023 ; Besoin : IFN"),
        ("*a* _b_ `c` ~d~ $e$ |f|", r"\*a\* \_b\_ \`c\` \~d\~ \$e\$ \|f\|"),
        ("# titre\n- liste\n1. un", "\\# titre\n\\- liste\n1\\. un"),
        (":material/home: www.x.fr a@b.fr", r"\:material/home: www\.x.fr a\@b.fr"),
    ],
)
def test_as_text_escapes_only_what_can_start_markup(raw, shown):
    from observatoire.mdsafe import as_text

    assert as_text(raw) == shown
