"""The PDF fiche is a tagged, accessible PDF (PDF/UA-1, issue #20): its structure tree, read
back with pypdf, has the territory's name as H1, one H2 per section, the key figures as a
list, real tables with header cells, the locator map as a Figure with its text alternative,
the link as a Link; every piece of text on the page belongs to that tree, in reading order;
language `fr`, a real title shown by viewers, the PDF/UA identifier in the XMP metadata.
`pdfinfo` (poppler-utils) and veraPDF check it too when they are on the machine."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date

import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from observatoire.fiche import content as fiche_content
from observatoire.fiche import render as fiche_render
from tests.conftest import drop_contours
from tests.test_fiche import (
    PLAINE_COMMUNE,
    SAINT_DENIS,
    TODAY,
    _need_tables,
    _one_a4_page,
    demo,  # noqa: F401 (fixture)
)

SECTIONS = [
    "Comparaison, pour 1 000 habitants",
    "Situation dans le département",
    "Avancement des objectifs",
    "Financements par financeur",
    "Besoins : fragilité numérique",
]


@dataclass
class Element:
    tag: str  # « H1 », « Table », …
    node: DictionaryObject
    mcids: list[int] = field(default_factory=list)  # its own marked content, in order
    children: list[Element] = field(default_factory=list)

    def text(self, texts: dict[int, str]) -> str:
        own = "".join(texts.get(m, "") for m in self.mcids)
        return " ".join(
            " ".join([own, *(c.text(texts) for c in self.children)]).replace("\n", " ").split()
        )

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Tagged:
    reader: pypdf.PdfReader
    root: Element
    texts: dict[int, str]  # MCID → its text
    untagged: str  # text drawn outside any marked content

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.root.walk() if e.tag == tag]

    def text(self, element: Element) -> str:
        return element.text(self.texts).replace("\u00a0", " ")


def _element(node) -> Element:
    node = node.get_object()
    element = Element(str(node["/S"])[1:], node)
    kids = node.get("/K")
    kids = kids.get_object() if kids is not None else []
    for kid in kids if isinstance(kids, ArrayObject) else [kids]:
        if isinstance(kid, int):
            element.mcids.append(int(kid))
            continue
        kid_node = kid.get_object() if isinstance(kid, IndirectObject) else kid
        if isinstance(kid_node, DictionaryObject) and "/S" in kid_node:
            element.children.append(_element(kid))
        elif isinstance(kid_node, DictionaryObject) and "/MCID" in kid_node:
            element.mcids.append(int(kid_node["/MCID"]))
    return element


def _marked_texts(page) -> tuple[dict[int, str], str]:
    """The page's text per marked-content id (pypdf's extractor, watching BDC/EMC), and the
    text drawn outside any marked content."""
    stack: list[int | None] = []
    texts: dict[int | None, list[str]] = {}

    def before(operator, operands, *_):
        if operator in (b"BDC", b"BMC"):
            props = operands[1] if operator == b"BDC" and len(operands) > 1 else None
            stack.append(props.get("/MCID") if isinstance(props, dict) else None)
        elif operator == b"EMC" and stack:
            stack.pop()

    def text(value, *_):
        inside = [m for m in stack if m is not None]
        artifact = bool(stack) and not inside
        key = inside[-1] if inside else (-1 if artifact else None)
        texts.setdefault(key, []).append(value)

    page.extract_text(visitor_operand_before=before, visitor_text=text)
    untagged = "".join(texts.pop(None, [])).strip()
    return {int(k): "".join(v) for k, v in texts.items()}, untagged


def tagged(pdf: bytes) -> Tagged:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    tree = catalog["/StructTreeRoot"].get_object()
    kids = tree["/K"].get_object()
    (document,) = kids if isinstance(kids, ArrayObject) else [kids]
    texts, untagged = _marked_texts(reader.pages[0])
    return Tagged(reader, _element(document), texts, untagged)


@pytest.fixture
def saint_denis(demo):  # noqa: F811
    _need_tables(demo)
    return fiche_render.build(SAINT_DENIS, today=TODAY, base_url="https://obs.example/")


def test_document_level_accessibility(saint_denis):
    doc = tagged(saint_denis)
    _one_a4_page(doc.reader)
    catalog = doc.reader.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "fr"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert doc.reader.pdf_header == "%PDF-1.7"
    info = doc.reader.metadata
    assert info.title == "Fiche territoire – Saint-Denis"
    assert "Kaleido" not in str(info) and "fpdf" not in str(info).lower()
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert "Fiche territoire – Saint-Denis" in xmp  # dc:title
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp or 'pdfuaid:part="1"' in xmp
    # Fonts embedded (PDF/UA: every glyph drawn with an embedded font).
    fonts = doc.reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        font = font.get_object()
        descendants = font.get("/DescendantFonts", [font])
        for descendant in descendants:
            descriptor = descendant.get_object()["/FontDescriptor"]
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_structure_headings_lists_tables_figure_link(saint_denis):
    doc = tagged(saint_denis)
    (h1,) = doc.all("H1")
    assert doc.text(h1) == "Saint-Denis"
    assert [doc.text(h) for h in doc.all("H2")] == SECTIONS
    assert not doc.all("H3")  # no level skipped
    # The key figures: a list of value and label.
    tiles = [doc.text(li) for li in doc.all("LI")]
    assert any(t.endswith("Équipements distribués") for t in tiles)
    assert any(t.endswith("Postes de conseillers numériques") for t in tiles)
    # Tables: the comparison with column and row headers, the targets, funding and needs
    # with row headers; each data cell says which headers it falls under.
    tables = doc.all("Table")
    assert len(tables) == 4
    comparison = tables[0]
    header_cells = [doc.text(c) for c in comparison.walk() if c.tag == "TH"]
    assert header_cells[:2] == ["Indicateur", "Nombre"]
    assert "Équipements distribués" in header_cells
    assert any(c.tag == "THead" for c in comparison.walk())
    for table in tables:
        cells = [c for c in table.walk() if c.tag == "TD" and doc.text(c)]
        assert any(c.tag == "TR" for c in table.walk())
        assert any(c.tag == "TH" for c in table.walk())
        assert all(c.node["/A"].get("/Headers") for c in cells if c.tag == "TD"), table
    targets = [doc.text(c) for c in tables[1].walk() if c.tag == "TH"]
    assert targets and all(t for t in targets)
    assert "Total rattaché au territoire" in [
        doc.text(c) for c in tables[2].walk() if c.tag == "TH"
    ]
    assert "Indice total" in [doc.text(c) for c in tables[3].walk() if c.tag == "TH"]
    # The locator map: a Figure with a text alternative saying what it shows.
    (figure,) = doc.all("Figure")
    alt = str(figure.node["/Alt"])
    assert alt.startswith("Carte de situation : Saint-Denis (en bleu), à l'ouest du département")
    assert "39 communes" in alt and "7 autres communes de son EPT" in alt and "4 EPT" in alt
    # The link to the online sheet is a Link with its annotation.
    (link,) = doc.all("Link")
    assert any(
        isinstance(k.get_object(), DictionaryObject) and k.get_object().get("/Type") == "/OBJR"
        for k in link.node["/K"]
    )
    assert "https://obs.example/territoire?code=93066" in doc.text(link).replace(" ", "")


def test_every_text_is_tagged_and_read_in_order(saint_denis):
    doc = tagged(saint_denis)
    assert doc.untagged == ""  # nothing drawn outside the tree (or marked as an artifact)
    in_tree = {m for e in doc.root.walk() for m in e.mcids}
    assert set(doc.texts) - {-1} <= in_tree
    # Reading order: the tree's order, header to footer.
    reading = doc.text(doc.root)
    order = [
        "Fiche territoire · 01/12/2026",
        "Saint-Denis",
        "Données de démonstration :",
        "Équipements distribués",
        *SECTIONS[:1],
        "Population municipale 2023 (INSEE).",
        SECTIONS[1],
        "limites des EPT",
        "Contours :",
        SECTIONS[2],
        "autres objectifs : la fiche en ligne",
        SECTIONS[3],
        "Total rattaché au territoire",
        SECTIONS[4],
        "2 lieux de médiation numérique recensés",
        "Source :",
        "Voir cette fiche en ligne",
        "Fiche générée le 01/12/2026",
    ]
    _in_order(reading, order)
    # A plain text extractor (no structure) reads the page in the same order.
    plain = " ".join(doc.reader.pages[0].extract_text().replace("\u00a0", " ").split())
    _in_order(plain, order)


def _in_order(text: str, parts: list[str]) -> None:
    at = 0
    for part in parts:  # each after the one before
        found = text.find(part, at)
        assert found >= 0, (part, text[at : at + 200])
        at = found + len(part)


def test_ept_and_schematic_map(demo):  # noqa: F811
    doc = tagged(fiche_render.build(PLAINE_COMMUNE, today=TODAY))
    (figure,) = doc.all("Figure")
    assert str(figure.node["/Alt"]).startswith(
        "Carte de situation : EPT Plaine Commune (8 communes"
    )
    from observatoire import warehouse

    warehouse.READER.release()  # the pages' kept reader would block the writer
    drop_contours(demo)
    warehouse._cached.clear()
    content = fiche_content.gather(SAINT_DENIS, today=TODAY)
    assert content.map.schematic
    doc = tagged(fiche_render.render_pdf(content))
    _one_a4_page(doc.reader)
    (figure,) = doc.all("Figure")
    assert str(figure.node["/Alt"]).startswith("Carte schématique de situation : Saint-Denis")
    assert doc.untagged == ""


def test_creation_date_in_the_metadata(demo):  # noqa: F811
    content = fiche_content.gather(SAINT_DENIS, today=TODAY)
    pdf = fiche_render.render_pdf(content, created=fiche_render.datetime(2026, 12, 1, 9, 30))
    assert pypdf.PdfReader(io.BytesIO(pdf)).metadata.creation_date.date() == date(2026, 12, 1)


def test_pdfinfo_says_tagged(saint_denis, tmp_path):
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo absent (apt-get install poppler-utils) : vérification sautée")
    path = tmp_path / "fiche.pdf"
    path.write_bytes(saint_denis)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout
    assert "Pages:           1" in info.stdout
    assert "Title:           Fiche territoire – Saint-Denis" in info.stdout


def test_verapdf_pdf_ua1(saint_denis, tmp_path):
    """veraPDF, the reference PDF/UA checker, when installed (it is not in the package
    registries this project uses: see the README)."""
    verapdf = shutil.which("verapdf")
    if verapdf is None:
        pytest.skip(
            "veraPDF absent (non disponible dans PyPI, Debian ni npm) : vérification sautée"
        )
    path = tmp_path / "fiche.pdf"
    path.write_bytes(saint_denis)
    report = subprocess.run(
        [verapdf, "--flavour", "ua1", "--format", "text", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.stdout.startswith("PASS"), report.stdout + report.stderr
