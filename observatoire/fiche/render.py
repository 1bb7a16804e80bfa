"""The fiche as one A4 page: a tagged, accessible PDF (PDF/UA-1) written by WeasyPrint from
HTML. Real, selectable text in an embedded Unicode font (DejaVu Sans, data/fonts/), French
title and language in the metadata, and a structure tree that a screen reader follows in
reading order: the territory's name as H1, one H2 per section, the key figures as a list,
the comparison, targets, funding and needs as real tables (row and column headers), the
locator map as a Figure whose alternative text says what it shows, the link as a Link.

The page is laid out from both ends, as exact boxes in millimetres: the header, key figures,
comparison and locator map from the top; the notes, source and link from the bottom, then
funding and needs above them; the targets fill what remains, and those that do not fit are
counted (« et N autres »). So the fiche is one page whatever the territory. Text is measured
with the font's own advance widths (fontTools), wrapped and cut here, so every box holds
exactly the lines it was given. Colours are Okabe–Ito (charts.PALETTE); everything a colour
says is also written (values, statuses, legend), so a greyscale print reads the same.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from datetime import date, datetime
from functools import cache
from html import escape
from pathlib import Path

from core.settings import PROJECT_ROOT
from observatoire import fmt
from observatoire.charts import PALETTE
from observatoire.charts.targets import STATUS_COLOURS
from observatoire.fiche.content import Fiche, gather
from observatoire.filters import Filters
from observatoire.territory import DEPARTEMENT

FONTS = PROJECT_ROOT / "data" / "fonts"
FONT = "Fiche DejaVu Sans"  # the embedded files below (a name no system font has)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# The characters a fiche may need (Latin with its extensions, punctuation with « » – … and
# the no-break spaces, €, arrows, common mathematical signs, geometric shapes): the fonts are
# cut down to them once, which makes each PDF faster to build. A character outside (a name
# in Greek or Cyrillic letters) is drawn as the font's empty box.
UNICODES = (
    *range(0x20, 0x250),
    *range(0x2000, 0x2070),
    *range(0x20A0, 0x20C1),
    *range(0x2100, 0x2150),
    *range(0x2190, 0x21A0),
    *range(0x2200, 0x2270),
    *range(0x25A0, 0x25D0),
)
PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT, TOP, BOTTOM = 12.0, 12.0, 10.0, 9.0
WIDTH = PAGE_W - LEFT - RIGHT
PAD = 0.8  # each text box's inner margin, left and right (mm)
PT = 25.4 / 72  # one point in millimetres
INK = "#1a1a1a"
MUTED = "#555555"
RULE = "#bdbdbd"
ACCENT = PALETTE[0]  # blue
DEMO_EDGE = PALETTE[1]  # orange
DEMO_FILL = "#fff3d6"
TILE_FILL = "#f1f4f7"
TRACK = "#e9e9e9"
MAP_OTHER = "#e4e4e4"
MAP_SAME_EPT = "#a9c9df"
TARGET_ROW_H = 6.8
MIN_TARGET_ROWS = 4
FUNDER_ROW_H = 4.6
NEED_ROW_H = 4.3
MAP_W, MAP_H = 64.0, 50.0
PRODUCER = "Observatoire de l'inclusion numérique de la Seine-Saint-Denis"


@cache
def font_paths() -> dict[str, Path]:
    """Style → TTF file: the shipped DejaVu Sans cut down to UNICODES, made once per machine
    (in the temporary folder, named after the digest of the font and of UNICODES) and
    reused."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    paths = {}
    for style, name in FONT_FILES.items():
        source = FONTS / name
        digest = hashlib.sha256(source.read_bytes() + repr(UNICODES).encode()).hexdigest()[:16]
        target = Path(tempfile.gettempdir()) / "observatoire-fiche-fonts" / f"{digest}-{name}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            options = subset.Options()
            options.name_IDs = ["*"]
            options.notdef_outline = True
            options.drop_tables += ["FFTM"]
            font = TTFont(source)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=UNICODES)
            subsetter.subset(font)
            partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
            font.save(partial)
            partial.replace(target)  # atomic: a parallel process never reads half a file
        paths[style] = target
    return paths


# Measuring text ------------------------------------------------------------------------------


@cache
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Code point → advance width in ems, and the width of a missing character."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_paths()["B" if bold else ""], lazy=True)
    em = font["head"].unitsPerEm
    metrics = font["hmtx"]
    widths = {code: metrics[glyph][0] / em for code, glyph in font.getBestCmap().items()}
    return widths, metrics[".notdef"][0] / em


def width(text: str, size: float, bold: bool = False) -> float:
    """TEXT's width in millimetres at SIZE points."""
    widths, missing = _advances(bold)
    return sum(widths.get(ord(c), missing) for c in text) * size * PT


def fit(text: str, room: float, size: float, bold: bool = False) -> str:
    """TEXT cut with « … » to fit a box ROOM mm wide (inner margins included)."""
    room -= 2 * PAD
    if width(text, size, bold) <= room:
        return text
    room -= width("…", size, bold)
    used = 0.0
    for end, char in enumerate(text):
        used += width(char, size, bold)
        if used > room:
            return text[:end].rstrip() + "…"
    return text


def lines(
    text: str, room: float, size: float, bold: bool = False, max_lines: int | None = None
) -> list[str]:
    """TEXT wrapped on spaces to a box ROOM mm wide (a word longer than a line, such as an
    address, is cut between characters); beyond MAX_LINES, the last kept line ends with
    « … ». No-break spaces keep « 1 234 » together."""
    inner = room - 2 * PAD
    space = width(" ", size, bold)
    out: list[str] = []
    current, used = "", 0.0
    for word in text.split(" "):
        w = width(word, size, bold)
        if current and used + space + w <= inner:
            current, used = f"{current} {word}", used + space + w
            continue
        if current:
            out.append(current)
        while w > inner:  # a word longer than the line
            piece = ""
            for char in word:
                if width(piece + char, size, bold) > inner:
                    break
                piece += char
            out.append(piece)
            word = word[len(piece) :]
            w = width(word, size, bold)
        current, used = word, w
    if current:
        out.append(current)
    if max_lines is not None and len(out) > max_lines:
        out = out[: max_lines - 1] + [fit(" ".join(out[max_lines - 1 :]), room, size, bold)]
    return out


def _br(texts: list[str]) -> str:
    """Lines already wrapped, as HTML: one paragraph, explicit line breaks."""
    return "<br>".join(escape(t) for t in texts)


def _mm(value: float) -> str:
    return f"{value:.2f}mm"


def _box(x: float, y: float, w: float, body: str, tag: str = "section", cls: str = "") -> str:
    """BODY in an absolutely placed box at (X, Y) mm from the page's corner, W mm wide."""
    style = f"left:{_mm(x)};top:{_mm(y)};width:{_mm(w)}"
    return f'<{tag} class="box {cls}" style="{style}">{body}</{tag}>'


def _heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{escape(text)}</h{level}>"


HEADING_H = 7.5  # a section heading with its rule, to the top of what follows

STYLE = f"""
@page {{ size: A4; margin: 0; }}
html {{ font-family: "{FONT}"; color: {INK}; font-size: 7pt; }}
body {{ margin: 0; }}
h1, h2, p, ul, li, table, th, td {{ margin: 0; padding: 0; font-weight: normal; }}
.box {{ position: absolute; }}
p, h1, h2, th, td, li {{ padding: 0 {PAD}mm; }}
.muted {{ color: {MUTED}; }}
b, strong, .bold {{ font-weight: bold; }}
.r {{ text-align: right; }}
.nowrap {{ white-space: nowrap; }}
h2 {{ font-size: 10.5pt; font-weight: bold; color: {ACCENT}; line-height: 5.5mm;
      height: 5.3mm; border-bottom: 0.35mm solid {ACCENT}; margin-bottom: 1.5mm;
      padding-top: 0.35mm; white-space: nowrap; }}
.kicker {{ display: flex; justify-content: space-between; font-size: 7.5pt; line-height: 4mm;
           color: {MUTED}; height: 4.6mm; border-bottom: 0.9mm solid {ACCENT}; }}
h1 {{ font-size: 21pt; font-weight: bold; line-height: 10mm; height: 10mm; margin-top: 1.5mm;
      white-space: nowrap; }}
.subtitle {{ font-size: 9.5pt; line-height: 5mm; white-space: nowrap; }}
.filters {{ font-size: 8pt; line-height: 4mm; color: {MUTED}; white-space: nowrap; }}
.demo {{ margin-top: 2mm; height: 6.5mm; line-height: 6.5mm; background: {DEMO_FILL};
         border: 0.5mm solid {DEMO_EDGE}; border-left: 2.2mm solid {DEMO_EDGE};
         padding-left: 1.3mm; font-size: 7.5pt; white-space: nowrap; }}
.demo strong {{ font-size: 8.5pt; margin-right: 1.5mm; }}
ul.tiles {{ list-style: none; position: relative; }}
ul.tiles li {{ display: block; position: absolute; height: 14.5mm; background: {TILE_FILL};
               border-left: 1.2mm solid {ACCENT}; padding: 0 0 0 1.3mm; }}
.tile-value {{ font-size: 14pt; font-weight: bold; line-height: 7.5mm; margin-top: 1.2mm;
               white-space: nowrap; }}
.tile-label {{ font-size: 7.3pt; line-height: 3.6mm; margin-top: 0.3mm; color: {MUTED};
               white-space: nowrap; }}
table {{ border-collapse: collapse; table-layout: fixed; }}
th, td {{ vertical-align: middle; white-space: nowrap; }}
table.comparison thead th {{ vertical-align: bottom; height: 9.6mm; font-size: 6.8pt;
                             font-weight: bold; line-height: 3.2mm;
                             border-bottom: 0.2mm solid {RULE}; }}
table.comparison .population {{ font-size: 6.2pt; font-weight: normal; line-height: 3mm;
                                color: {MUTED}; }}
table.comparison tbody th, table.comparison tbody td {{ height: 6mm; font-size: 7.3pt;
                                                        line-height: 3.1mm; }}
table.comparison tbody tr:last-child > * {{ border-bottom: 0.2mm solid {RULE}; }}
tr.shade > * {{ background: #f6f6f6; }}
.note {{ font-size: 6.3pt; line-height: 3.2mm; color: {MUTED}; }}
.legend-text {{ font-size: 6.5pt; line-height: 3.2mm; color: {MUTED}; margin-top: -1mm;
                margin-bottom: 0.6mm; }}
table.targets th, table.targets td {{ height: {TARGET_ROW_H}mm; }}
table.targets tr.shade > * {{ background: #f7f7f7; }}
.line1 {{ font-size: 7pt; line-height: 3.3mm; font-weight: bold; }}
.line2 {{ font-size: 5.8pt; line-height: 2.8mm; color: {MUTED}; font-weight: normal; }}
.figures {{ font-size: 6.3pt; line-height: 2.8mm; }}
.track {{ position: relative; background: {TRACK}; border: 0.15mm solid #9e9e9e; }}
.fill {{ position: absolute; left: 0; top: 0; bottom: 0; }}
.mark {{ position: absolute; border-left: 0.6mm solid #000; width: 0; }}
.masked {{ font-size: 6pt; color: {MUTED}; text-align: center; line-height: 3.3mm; }}
caption {{ caption-side: bottom; text-align: left; padding: 0 {PAD}mm; white-space: nowrap; }}
.note {{ margin-top: 0.5mm; }}
.more {{ font-size: 7pt; line-height: 3.6mm; color: {MUTED}; margin-top: 0.6mm; }}
table.funders th, table.funders td {{ height: {FUNDER_ROW_H}mm; font-size: 7.2pt; }}
table.funders tfoot th, table.funders tfoot td {{ font-size: 7.5pt; font-weight: bold;
    border-top: 0.2mm solid {RULE}; height: 4.4mm; text-align: left; }}
table.funders tfoot td {{ text-align: right; }}
table.needs th, table.needs td {{ height: {NEED_ROW_H}mm; font-size: 7pt; }}
.small-note {{ font-size: 5.8pt; line-height: 2.8mm; color: {MUTED}; }}
.places {{ font-size: 7.5pt; font-weight: bold; line-height: 4mm; white-space: nowrap; }}
.places-detail {{ font-size: 6.5pt; line-height: 3mm; color: {MUTED}; }}
ul.map-legend {{ list-style: none; display: flex; flex-wrap: wrap; font-size: 6.2pt;
                 line-height: 3.4mm; margin-top: 1.5mm; }}
ul.map-legend li {{ display: block; width: {MAP_W / 2 - 2 * PAD:.2f}mm; white-space: nowrap; }}
.swatch {{ display: inline-block; width: 2.6mm; height: 2.2mm; margin-right: 0.6mm;
           border: 0.15mm solid #888; vertical-align: -0.3mm; }}
.swatch.line {{ height: 0; border: none; border-top: 0.55mm solid #222;
                vertical-align: 0.6mm; }}
.map-note {{ font-size: 5.8pt; line-height: 2.8mm; color: {MUTED}; margin-top: 0.4mm; }}
section.proposed {{ background: {TILE_FILL}; border-left: 1.2mm solid {ACCENT};
                  padding-top: 0.8mm; }}
.proposed-share {{ font-size: 8pt; font-weight: bold; line-height: 3.9mm; white-space: nowrap; }}
.proposed-method {{ font-size: 6.2pt; line-height: 2.9mm; color: {MUTED};
                    white-space: nowrap; }}
footer.box {{ border-top: 0.3mm solid {RULE}; padding-top: 1.2mm; }}
footer p {{ font-size: 6.3pt; line-height: 2.9mm; color: {MUTED}; }}
footer p.source {{ color: {INK}; font-weight: bold; }}
footer a {{ color: {ACCENT}; text-decoration: none; }}
"""


# The page ------------------------------------------------------------------------------------


_LOCAL = threading.local()


def _font_faces() -> str:
    return "".join(
        f'@font-face {{ font-family: "{FONT}"; font-weight: {"bold" if style else "normal"}; '
        f'src: url("{path.as_uri()}"); }}\n'
        for style, path in font_paths().items()
    )


def _stylesheet():
    """The page's style sheet and its fonts, parsed once per thread (WeasyPrint's font
    configuration holds fontconfig state that is not shared between threads): about a
    seventh of a fiche's time."""
    if not hasattr(_LOCAL, "stylesheet"):
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
        _LOCAL.stylesheet = (weasyprint.CSS(string=_font_faces() + STYLE, font_config=fonts), fonts)
    return _LOCAL.stylesheet


def render_pdf(fiche: Fiche, created: datetime | None = None) -> bytes:
    """The one-page A4 PDF of FICHE, tagged (PDF/UA-1)."""
    import weasyprint

    stylesheet, fonts = _stylesheet()
    return weasyprint.HTML(string=render_html(fiche, created, style=False)).write_pdf(
        pdf_variant="pdf/ua-1", stylesheets=[stylesheet], font_config=fonts
    )


def render_html(fiche: Fiche, created: datetime | None = None, style: bool = True) -> str:
    """The page as HTML, every box placed: what render_pdf prints (STYLE: with its style
    sheet inline, a document that stands alone)."""
    header, y = _header(fiche)
    figures, y = _figures_and_map(fiche, y)
    proposed, y = _proposed_share(fiche, y)
    footer, footer_top = _footer(fiche)
    block_h = _bottom_block_height(fiche)
    block_top = footer_top - block_h - 3
    body = "".join(
        [
            header,
            figures,
            proposed,
            _targets(fiche, y + 1, block_top - 2),
            _bottom_block(fiche, block_top),
            footer,
        ]
    )
    meta = {
        "author": PRODUCER,
        "description": f"{fiche.name} – {fiche.filters_text}",
        "keywords": "inclusion numérique, Seine-Saint-Denis, fiche territoire",
        "generator": PRODUCER,
    }
    # W3C date with its offset (a naive CREATED is local time); now when not given.
    meta["dcterms.created"] = (created or datetime.now()).astimezone().isoformat("T", "seconds")
    metas = "".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in meta.items())
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(fiche.title)}</title>{metas}"
        + (f"<style>{_font_faces()}{STYLE}</style>" if style else "")
        + f"</head><body>{body}</body></html>"
    )


# Top -----------------------------------------------------------------------------------------


def _header(fiche: Fiche) -> tuple[str, float]:
    filters = lines(f"Filtres : {fiche.filters_text}", WIDTH, 8, max_lines=2)
    parts = [
        '<div class="kicker"><p>Observatoire de l\'inclusion numérique · Seine-Saint-Denis</p>'
        f"<p>Fiche territoire · {escape(fiche.generated)}</p></div>",
        _heading(fit(fiche.name, WIDTH, 21, bold=True), 1),
        f'<p class="subtitle">{escape(fit(fiche.subtitle, WIDTH, 9.5))}</p>',
        f'<p class="filters">{_br(filters)}</p>',
    ]
    y = TOP + 22 + 4 * len(filters) + 2
    if fiche.has_demo:
        parts.append(
            '<p class="demo"><strong>Données de démonstration :</strong>'
            "les chiffres incluent des enregistrements fictifs, générés pour présenter "
            "l'outil.</p>"
        )
        y += 10
    return _box(LEFT, TOP, WIDTH, "".join(parts), tag="header"), y


def _tiles(fiche: Fiche, width_: float) -> tuple[str, float]:
    """The key figures, two by two, as a list (value, then what it counts)."""
    gap, height = 3.0, 14.5
    tile_w = (width_ - gap) / 2
    room = tile_w - 3
    items = "".join(
        f'<li style="left:{_mm((i % 2) * (tile_w + gap))};top:{_mm((i // 2) * (height + gap))};'
        f'width:{_mm(tile_w - 2.5)}">'
        f'<p class="tile-value">{escape(fit(value, room, 14, bold=True))}</p>'
        f'<p class="tile-label">{escape(fit(label, room, 7.3))}</p></li>'
        for i, (label, value) in enumerate(fiche.tiles)
    )
    rows = (len(fiche.tiles) + 1) // 2
    return f'<ul class="tiles">{items}</ul>', rows * (height + gap) + 1


def _figures_and_map(fiche: Fiche, y: float) -> tuple[str, float]:
    """Left: the key figures and their comparison; right: the locator map."""
    left_w = WIDTH - MAP_W - 6
    tiles, tiles_h = _tiles(fiche, left_w)
    table, table_h = _comparison(fiche, left_w)
    left = _box(LEFT, y, left_w, tiles, tag="div")
    comparison = _box(LEFT, y + tiles_h, left_w, table)
    locator, locator_h = _locator(fiche)
    right = _box(LEFT + left_w + 6, y, MAP_W, locator)
    return left + comparison + right, y + max(tiles_h + table_h, locator_h) + 2


def _comparison(fiche: Fiche, table_w: float) -> tuple[str, float]:
    columns = len(fiche.comparison_header)
    first, count_w = 36.0, 21.0
    rate_w = (table_w - first - count_w) / columns
    cols = "".join(f'<col style="width:{_mm(w)}">' for w in [first, count_w] + [rate_w] * columns)
    # Header: what each column holds; the territory's count, then one rate per territory
    # compared (name on up to two lines, then its population).
    head = [
        '<th scope="col" style="text-align:left;padding-bottom:3.2mm;height:6.4mm">Indicateur</th>',
        '<th scope="col" class="r" style="padding-bottom:3.2mm;height:6.4mm">Nombre</th>',
    ]
    for name, population in fiche.comparison_header:
        names = lines(name, rate_w - 1, 6.8, bold=True, max_lines=2)
        head.append(
            f'<th scope="col" class="r">{_br(names)}<br><span class="population">'
            f"{escape(fit(f'{population} hab.', rate_w, 6.2))}</span></th>"
        )
    rows = []
    for r, row in enumerate(fiche.comparison_rows):
        label, *values = row
        cells = [f'<th scope="row">{_br(lines(label, first, 7.3, max_lines=2))}</th>']
        for i, text in enumerate(values):
            bold = ' class="r bold"' if i in (0, 1) else ' class="r"'
            w = count_w if i == 0 else rate_w
            cells.append(f"<td{bold}>{escape(fit(text, w, 7.3, bold=i in (0, 1)))}</td>")
        rows.append(f'<tr class="{"shade" if r % 2 == 0 else ""}">{"".join(cells)}</tr>')
    body = (
        _heading("Comparaison, pour 1 000 habitants")
        + f'<table class="comparison" style="width:{_mm(table_w)}">'
        # A caption below the table: read (and extracted) after it, tagged inside it.
        + '<caption class="note">Population municipale 2023 (INSEE).</caption>'
        + f"<colgroup>{cols}</colgroup>"
        + f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return body, HEADING_H + 9.8 + len(rows) * 6.0 + 4


def _map_alt(fiche: Fiche) -> str:
    """What the locator map shows, in words: its text alternative."""
    locator = fiche.map
    total = len(locator.communes)
    minx, miny, maxx, maxy = locator.bounds()
    points = [p for c in locator.highlighted for r in locator.communes.get(c, []) for p in r]
    where = ""
    if points:
        cx = sum(p[0] for p in points) / len(points)
        cy = sum(p[1] for p in points) / len(points)
        ns = ("sud", "", "nord")[min(2, int(3 * (cy - miny) / ((maxy - miny) or 1)))]
        ew = ("ouest", "", "est")[min(2, int(3 * (cx - minx) / ((maxx - minx) or 1)))]
        where = f"{ns}-{ew}" if ns and ew else (ns or ew or "centre")
        article = "à l'" if where in ("ouest", "est") else "au "
        where = f", {article}{where} du département"
    kind = "Carte schématique" if locator.schematic else "Carte"
    count = fmt.plural(len(locator.highlighted), "commune", "communes")
    what = f"{fiche.name} ({count}, en bleu)" if fiche.is_ept else f"{fiche.name} (en bleu)"
    text = f"{kind} de situation : {what}{where}, parmi les {total} communes de la {DEPARTEMENT}"
    if locator.same_ept:
        others = fmt.plural(len(locator.same_ept), "autre commune", "autres communes")
        text += f" ; en bleu clair, les {others} de son EPT"
    return text + f" ; traits noirs : les limites des {len(locator.outlines)} EPT."


def _locator_svg(fiche: Fiche) -> str:
    """The 39 communes in a MAP_W × MAP_H mm box, the territory highlighted; its <title> is
    the text alternative of the Figure."""
    locator = fiche.map
    minx, miny, maxx, maxy = locator.bounds()
    scale = min(MAP_W / (maxx - minx), MAP_H / (maxy - miny))
    off_x = (MAP_W - (maxx - minx) * scale) / 2
    off_y = (MAP_H - (maxy - miny) * scale) / 2

    def place(ring) -> list[tuple[float, float]]:
        return [(off_x + (px - minx) * scale, off_y + (maxy - py) * scale) for px, py in ring]

    def points(ring) -> str:
        return " ".join(f"{x:.2f},{y:.2f}" for x, y in place(ring))

    shapes = []
    for code, rings in locator.communes.items():
        if code in locator.highlighted:
            colour = ACCENT
        elif code in locator.same_ept:
            colour = MAP_SAME_EPT
        else:
            colour = MAP_OTHER
        shapes += [
            f'<polygon points="{points(r)}" fill="{colour}" stroke="#fff" stroke-width="0.25"/>'
            for r in rings
        ]
    shapes += [
        f'<polygon points="{points(r)}" fill="none" stroke="#222" stroke-width="0.55"/>'
        for rings in locator.outlines.values()
        for r in rings
    ]
    for code, rings in locator.communes.items() if locator.labels else ():
        xs, ys = zip(*place(rings[0]), strict=True)
        colour = "#fff" if code in locator.highlighted else INK
        shapes.append(
            f'<text x="{(min(xs) + max(xs)) / 2:.2f}" y="{(min(ys) + max(ys)) / 2 + 0.45:.2f}" '
            f'font-family="{FONT}" font-size="1.27" fill="{colour}" text-anchor="middle">'
            f"{escape(locator.labels.get(code, ''))}</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{MAP_W}mm" '
        f'height="{MAP_H}mm" viewBox="0 0 {MAP_W} {MAP_H}"><title>{escape(_map_alt(fiche))}'
        f"</title>{''.join(shapes)}</svg>"
    )


def _locator(fiche: Fiche) -> tuple[str, float]:
    locator = fiche.map
    # Legend, in two columns: the colours are also said in words.
    entries: list[tuple[str | None, str]] = [(ACCENT, fiche.name)]
    if locator.same_ept:
        entries.append((MAP_SAME_EPT, "reste de l'EPT"))
    entries += [(MAP_OTHER, "autres communes"), (None, "limites des EPT")]
    items = "".join(
        '<li><span class="swatch '
        + ('line"' if colour is None else f'" style="background:{colour}"')
        + f"></span>{escape(fit(text, MAP_W / 2 - 3, 6.2))}</li>"
        for colour, text in entries
    )
    where = (
        "Carte schématique : une case par commune (contours officiels non chargés)."
        if locator.schematic
        else f"Contours : {locator.source}."
    )
    note = lines(where, MAP_W, 5.8, max_lines=2)
    body = (
        _heading("Situation dans le département")
        + _locator_svg(fiche)
        + f'<ul class="map-legend">{items}</ul>'
        + f'<p class="map-note">{_br(note)}</p>'
    )
    legend_h = ((len(entries) + 1) // 2) * 3.4 + 0.4
    return body, HEADING_H + MAP_H + 1.5 + legend_h + 2.8 * len(note)


# Middle --------------------------------------------------------------------------------------


def _bar(
    progress: float | None,
    expected: float | None,
    colour: str,
    w: float,
    h: float,
    mark_w: float = 0.6,
    label: str = "",
) -> str:
    """A progress bar of W × H mm: its length the ratio PROGRESS, a black mark MARK_W mm wide
    at EXPECTED, LABEL written inside (« masqué »). The ratio is written beside it."""
    fill = ""
    if progress is not None and progress > 0:
        share = min(progress, 1.0)
        fill = f'<div class="fill" style="width:{_mm(w * share)};background:{colour}"></div>'
    if label:
        fill = f'<p class="masked">{escape(label)}</p>'
    mark = ""
    if expected is not None:
        at = w * min(max(expected, 0.0), 1.0) - mark_w / 2
        mark = (
            f'<div class="mark" style="left:{_mm(at)};top:-0.9mm;height:{_mm(h + 1.8)};'
            f'border-left-width:{_mm(mark_w)}"></div>'
        )
    return f'<div class="track" style="width:{_mm(w)};height:{_mm(h)}">{fill}{mark}</div>'


def _targets(fiche: Fiche, y: float, bottom: float) -> str:
    heading = _heading("Avancement des objectifs")
    if not fiche.targets:
        empty = "Aucun objectif ne concerne ce territoire sous les filtres choisis."
        return _box(LEFT, y, WIDTH, f'{heading}<p class="muted" style="font-size:8pt">{empty}</p>')
    rule = (
        f"Part du territoire dans chaque objectif : {fiche.share_rules}. "
        if fiche.share_rules
        else ""
    )
    legend = lines(
        rule + "Barre : réalisé, en % de cette part (pleine au-delà de 100 %) ; trait noir : "
        "attendu à ce jour si l'objectif avance en ligne droite jusqu'à son échéance.",
        WIDTH,
        6.5,
        max_lines=2,
    )
    top = y + HEADING_H + 3.2 * len(legend) + 0.6 - 1
    rows = max(MIN_TARGET_ROWS, int((bottom - top) // TARGET_ROW_H))
    shown = fiche.targets
    if len(shown) > rows:  # the last row's room goes to « et N autres objectifs »
        shown = shown[: max(MIN_TARGET_ROWS, int((bottom - top - 4.5) // TARGET_ROW_H))]
    label_w, bar_w = 98.0, 38.5
    text_w = WIDTH - label_w - bar_w
    body = []
    for i, target in enumerate(shown):
        # The bar: its length is the progress (none when masked), its colour the status,
        # which is also written beside it.
        colour = STATUS_COLOURS.get(target.status, PALETTE[-1])
        masked = "masqué" if target.progress is None else ""
        bar = _bar(target.progress, target.expected, colour, bar_w - 2.5, 3.6, label=masked)
        # A masked count says nothing of its progress, nor of its status.
        status = (
            target.progress_text
            if target.progress is None
            else f"{target.progress_text} · {target.status}"
        )
        figures = target.figures
        if target.departemental:  # two short lines that fit: never « 0 % · non commencé »
            status, figures = "action départementale", f"non répartie · {target.progress_text}"
        body.append(
            f'<tr class="{"shade" if i % 2 == 0 else ""}">'
            f'<th scope="row" style="text-align:left"><p class="line1">'
            f"{escape(fit(target.title, label_w - 2, 7, bold=True))}</p>"
            f'<p class="line2">{escape(fit(target.programme, label_w - 2, 5.8))}</p></th>'
            f'<td style="padding-left:0;padding-right:2.5mm">{bar}</td>'
            f'<td><p class="line1">{escape(fit(status, text_w, 7, bold=True))}</p>'
            f'<p class="figures">{escape(fit(figures, text_w, 6.3))}</p></td></tr>'
        )
    cols = "".join(f'<col style="width:{_mm(w)}">' for w in (label_w, bar_w, text_w))
    more = ""
    if left := len(fiche.targets) - len(shown):
        more = (
            f'<caption class="more">et {fmt.plural(left, "autre objectif", "autres objectifs")}'
            " : la fiche en ligne (lien ci-dessous) les montre tous.</caption>"
        )
    table = (
        f'<table class="targets" style="width:{_mm(WIDTH)}">{more}<colgroup>{cols}</colgroup>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    return _box(LEFT, y, WIDTH, f'{heading}<p class="legend-text">{_br(legend)}</p>{table}')


# Bottom --------------------------------------------------------------------------------------


def _funding_height(fiche: Fiche) -> float:
    rows = max(1, len(fiche.funders)) + (1 if fiche.funders_left else 0)
    return HEADING_H + rows * FUNDER_ROW_H + 8


def _needs_note(fiche: Fiche) -> list[str]:
    return lines(fiche.needs_note, (WIDTH - 6) / 2, 5.8, max_lines=3)


def _needs_height(fiche: Fiche) -> float:
    height = 0.0
    if fiche.needs:
        height += HEADING_H + len(fiche.needs) * NEED_ROW_H + 1.5 + len(_needs_note(fiche)) * 2.8
    if fiche.places is not None:
        height += 11 if fiche.needs else 18
    return height


def _bottom_block_height(fiche: Fiche) -> float:
    return max(_funding_height(fiche), _needs_height(fiche))


def _bottom_block(fiche: Fiche, y: float) -> str:
    side = fiche.needs or fiche.places is not None
    width_ = (WIDTH - 6) / 2 if side else WIDTH
    out = _box(LEFT, y, width_, _funding(fiche, width_))
    if side:
        out += _box(LEFT + width_ + 6, y, width_, _needs(fiche, width_))
    return out


def _funding(fiche: Fiche, width_: float) -> str:
    heading = _heading("Financements par financeur")
    if not fiche.funders:
        empty = "Aucun financement rattaché au territoire sous ces filtres."
        return f'{heading}<p class="muted" style="font-size:7.5pt">{empty}</p>'
    name_w, amount_w = width_ * (0.46 if width_ < WIDTH else 0.3), 27.0
    bar_w = width_ - name_w - amount_w
    top = max(amount for _, amount in fiche.funders) or 1.0
    rows = []
    for i, (funder, amount) in enumerate(fiche.funders):
        colour = PALETTE[0] if i % 2 == 0 else PALETTE[4]
        length = max(0.4, (bar_w - 2) * amount / top)
        bar = f'<div style="width:{_mm(length)};height:2.8mm;background:{colour}"></div>'
        rows.append(
            f'<tr><th scope="row" style="text-align:left">{escape(fit(funder, name_w, 7.2))}</th>'
            f'<td style="padding:0">{bar}</td>'
            f'<td class="r bold">{escape(fmt.money(amount))}</td></tr>'
        )
    if fiche.funders_left:
        others = fmt.plural(fiche.funders_left, "autre financeur", "autres financeurs")
        rows.append(
            f'<tr><th scope="row" colspan="3" class="muted" style="font-size:7pt;'
            f'text-align:left">et {others} ({escape(fmt.money(fiche.funders_left_amount))})'
            "</th></tr>"
        )
    cols = "".join(f'<col style="width:{_mm(w)}">' for w in (name_w, bar_w, amount_w))
    return (
        f'{heading}<table class="funders" style="width:{_mm(width_)}"><colgroup>{cols}</colgroup>'
        f"<tbody>{''.join(rows)}</tbody><tfoot><tr>"
        '<th scope="row" colspan="2">Total rattaché au territoire</th>'
        f"<td>{escape(fmt.money(fiche.funders_total))}</td></tr></tfoot></table>"
    )


def _needs(fiche: Fiche, width_: float) -> str:
    out = ""
    if fiche.needs:
        label_w, value_w = width_ * 0.56, 13.0
        bar_w = width_ - label_w - value_w
        rows = []
        for need in fiche.needs:
            span = (need.scale_max - need.scale_min) or 1.0
            share = min(max((need.value - need.scale_min) / span, 0.0), 1.0)
            mark = min(max((need.departement - need.scale_min) / span, 0.0), 1.0)
            colour = PALETTE[5] if need.total else PALETTE[1]
            bar = _bar(share, mark, colour, bar_w, 2.6, mark_w=0.5)
            weight = ' class="bold"' if need.total else ""
            rows.append(
                f'<tr><th scope="row" style="text-align:left"><span{weight}>'
                f"{escape(fit(need.label, label_w, 7, bold=need.total))}</span></th>"
                f'<td style="padding:0">{bar}</td><td class="r bold">'
                f"{escape(fmt.number(need.value, 1))}/{escape(fmt.number(need.scale_max))}"
                "</td></tr>"
            )
        cols = "".join(f'<col style="width:{_mm(w)}">' for w in (label_w, bar_w, value_w))
        out += (
            _heading("Besoins : fragilité numérique")
            + f'<table class="needs" style="width:{_mm(width_)}"><colgroup>{cols}</colgroup>'
            + f"<tbody>{''.join(rows)}</tbody></table>"
            + f'<p class="small-note" style="margin:0.5mm 0 1mm">{_br(_needs_note(fiche))}</p>'
        )
    if fiche.places is not None:
        if not fiche.needs:
            out += _heading("Lieux de médiation numérique")
        places = fiche.places
        text = fmt.plural(
            places.count,
            "lieu de médiation numérique recensé",
            "lieux de médiation numérique recensés",
        )
        detail = ""
        if places.per_10000 is not None:
            detail = (
                f"{_rate(places.per_10000)} pour 10 000 habitants "
                f"({DEPARTEMENT} : {_rate(places.departement_per_10000)})"
            )
        if places.updated:
            detail += f" ; mise à jour la plus récente : {places.updated}"
        out += f'<p class="places">{escape(fit(text, width_, 7.5, bold=True))}</p>'
        if detail:
            out += f'<p class="places-detail">{_br(lines(detail, width_, 6.5, max_lines=2))}</p>'
    return out


def _proposed_share(fiche: Fiche, y: float) -> tuple[str, float]:
    """« Part proposée »: a scenario of « Répartir une enveloppe », when the fiche holds one,
    in a compact band (its share, the rule and the rule's method) so that the targets keep
    their room; returns the band and the y below it."""
    proposed = fiche.proposed
    if proposed is None:
        return "", y
    sentence = lines(f"Part proposée : {proposed.sentence()}", WIDTH - 4, 8, bold=True)[:2]
    method = lines(f"Méthode : {proposed.method}", WIDTH - 4, 6.2, max_lines=3)
    height = 1.6 + 3.9 * len(sentence) + 2.9 * len(method)
    body = (
        f'<p class="proposed-share">{_br(sentence)}</p><p class="proposed-method">{_br(method)}</p>'
    )
    band = f'<div style="height:{_mm(height)}">{body}</div>'
    return _box(LEFT, y, WIDTH, band, cls="proposed"), y + height + 2


def _rate(value: float | None) -> str:
    """« 0,55 », « 1,2 »: two decimals below one, so that a small rate never reads « 0,0 »."""
    return fmt.number(value, 2 if value is not None and value < 1 else 1)


def _footer(fiche: Fiche) -> tuple[str, float]:
    """The notes, the source line, the link and the date, set against the bottom margin;
    returns the footer and its top."""
    blocks: list[tuple[str, str]] = [(note, "") for note in fiche.notes]
    if fiche.has_demo:
        blocks.append(
            (
                "Données de démonstration : les chiffres incluent des enregistrements fictifs ; "
                "décochez « Inclure les données de démonstration » pour ne voir que les données "
                "réelles.",
                "",
            )
        )
    blocks.append((fiche.source, "source"))
    blocks.append((f"Voir cette fiche en ligne : {fiche.link}", "link"))
    blocks.append(
        (f"Fiche générée le {fiche.generated} par l'{PRODUCER[0].lower()}{PRODUCER[1:]}.", "")
    )
    line_h = 2.9
    paragraphs, count = [], 0
    for text, kind in blocks:
        wrapped = lines(text, WIDTH, 6.3, bold=kind == "source")
        count += len(wrapped)
        inner = _br(wrapped)
        if kind == "link":
            inner = f'<a href="{escape(fiche.link)}">{inner}</a>'
        paragraphs.append(f'<p class="{kind}">{inner}</p>')
    top = PAGE_H - BOTTOM - count * line_h - 1.5
    return _box(LEFT, top, WIDTH, "".join(paragraphs), tag="footer"), top


def build(
    code: str,
    filters: Filters | None = None,
    *,
    base_url: str | None = None,
    today: date | None = None,
    proposed=None,
) -> bytes:
    """The fiche of commune or EPT CODE under FILTERS, as PDF bytes (with the « part
    proposée » PROPOSED, a content.ProposedShare, when given)."""
    return render_pdf(gather(code, filters, base_url=base_url, today=today, proposed=proposed))
