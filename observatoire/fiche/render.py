"""The fiche as one A4 page (fpdf2): real, selectable text in an embedded Unicode font
(DejaVu Sans, data/fonts/), vector shapes, French title and language in the metadata.

The page is laid out from both ends: the header, key figures, comparison and locator map from
the top; the notes, source and link from the bottom, then funding and needs above them; the
targets fill what remains, and those that do not fit are counted (« et N autres »). So the
fiche is one page whatever the territory. Colours are Okabe–Ito (charts.PALETTE); everything
a colour says is also written (values, statuses, legend), so a greyscale print reads the same.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import date, datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF

from core.settings import PROJECT_ROOT
from observatoire import fmt
from observatoire.charts import PALETTE
from observatoire.charts.targets import STATUS_COLOURS
from observatoire.fiche.content import Fiche, gather
from observatoire.filters import Filters
from observatoire.territory import DEPARTEMENT

FONTS = PROJECT_ROOT / "data" / "fonts"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# The characters a fiche may need (Latin with its extensions, punctuation with « » – … and
# the no-break spaces, €, arrows, common mathematical signs, geometric shapes): the fonts are
# cut down to them once, which makes each PDF several times faster to build. A character
# outside (a name in Greek or Cyrillic letters) is left out of the page, with a warning.
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
PRODUCER = "Observatoire de l'inclusion numérique de la Seine-Saint-Denis"


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


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


class _Page(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(LEFT, TOP, RIGHT)
        for style, path in font_paths().items():
            self.add_font(FONT, style, str(path))
        self.c_margin = 0.8

    def style(self, size: float, bold: bool = False, colour: str = INK) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*_rgb(colour))

    def fill(self, colour: str) -> None:
        self.set_fill_color(*_rgb(colour))

    def stroke(self, colour: str, width: float = 0.2) -> None:
        self.set_draw_color(*_rgb(colour))
        self.set_line_width(width)

    def fit(self, text: str, width: float) -> str:
        """TEXT cut with « … » to WIDTH at the current font."""
        width -= 2 * self.c_margin
        if self.get_string_width(text) <= width:
            return text
        widths = [self.get_string_width(c) for c in text]
        room, used = width - self.get_string_width("…"), 0.0
        for end, w in enumerate(widths):
            if used + w > room:
                return text[:end].rstrip() + "…"
            used += w
        return text

    def lines(self, text: str, width: float, max_lines: int | None = None) -> list[str]:
        """TEXT wrapped on spaces to WIDTH at the current font (a word longer than a line,
        such as an address, is cut between characters); beyond MAX_LINES, the last kept
        line ends with « … ». No-break spaces keep « 1 234 » together."""
        room = width - 2 * self.c_margin
        space = self.get_string_width(" ")
        out: list[str] = []
        current, used = "", 0.0
        for word in text.split(" "):
            w = self.get_string_width(word)
            if current and used + space + w <= room:
                current, used = f"{current} {word}", used + space + w
                continue
            if current:
                out.append(current)
            current, used = "", 0.0
            while w > room:  # a word longer than the line
                piece = ""
                for char in word:
                    if self.get_string_width(piece + char) > room:
                        break
                    piece += char
                out.append(piece)
                word = word[len(piece) :]
                w = self.get_string_width(word)
            current, used = word, w
        if current:
            out.append(current)
        if max_lines is not None and len(out) > max_lines:
            out = out[: max_lines - 1] + [self.fit(" ".join(out[max_lines - 1 :]), width)]
        return out

    def at(self, x: float, y: float, w: float, h: float, text: str, align: str = "L", **kw):
        self.set_xy(x, y)
        self.cell(w, h, text, align=align, **kw)

    def heading(self, x: float, y: float, w: float, text: str) -> float:
        self.style(10.5, bold=True, colour=ACCENT)
        self.at(x, y, w, 5.5, text)
        self.stroke(ACCENT, 0.35)
        self.line(x, y + 6, x + w, y + 6)
        return y + 7.5


def render_pdf(fiche: Fiche, created: datetime | None = None) -> bytes:
    """The one-page A4 PDF of FICHE."""
    pdf = _Page()
    pdf.set_title(fiche.title)
    pdf.set_lang("fr")
    pdf.set_author(PRODUCER)
    pdf.set_subject(f"{fiche.name} – {fiche.filters_text}")
    pdf.set_creator(PRODUCER)
    pdf.set_keywords("inclusion numérique, Seine-Saint-Denis, fiche territoire")
    if created is not None:
        pdf.set_creation_date(created)
    pdf.add_page()

    y = _header(pdf, fiche)
    y = _figures_and_map(pdf, fiche, y)
    y = _proposed_share(pdf, fiche, y)

    footer_top = _footer(pdf, fiche, measure_only=True)
    block_h = _bottom_block_height(pdf, fiche)
    block_top = footer_top - block_h - 3
    _targets(pdf, fiche, y + 1, block_top - 2)
    _bottom_block(pdf, fiche, block_top)
    _footer(pdf, fiche)
    return bytes(pdf.output())


# Top ---------------------------------------------------------------------------------------


def _header(pdf: _Page, fiche: Fiche) -> float:
    pdf.style(7.5, colour=MUTED)
    pdf.at(LEFT, TOP, WIDTH / 2, 4, "Observatoire de l'inclusion numérique · Seine-Saint-Denis")
    pdf.at(LEFT + WIDTH / 2, TOP, WIDTH / 2, 4, f"Fiche territoire · {fiche.generated}", "R")
    pdf.fill(ACCENT)
    pdf.rect(LEFT, TOP + 4.6, WIDTH, 0.9, style="F")
    pdf.style(21, bold=True)
    pdf.at(LEFT, TOP + 7, WIDTH, 10, pdf.fit(fiche.name, WIDTH))
    pdf.style(9.5, colour=INK)
    pdf.at(LEFT, TOP + 17, WIDTH, 5, pdf.fit(fiche.subtitle, WIDTH))
    pdf.style(8, colour=MUTED)
    y = TOP + 22
    for line in pdf.lines(f"Filtres : {fiche.filters_text}", WIDTH, 2):
        pdf.at(LEFT, y, WIDTH, 4, line)
        y += 4
    y += 2
    if fiche.has_demo:
        pdf.fill(DEMO_FILL)
        pdf.stroke(DEMO_EDGE, 0.5)
        pdf.rect(LEFT, y, WIDTH, 7.5, style="DF")
        pdf.fill(DEMO_EDGE)
        pdf.rect(LEFT, y, 2.2, 7.5, style="F")
        pdf.style(8.5, bold=True)
        label = "Données de démonstration :"
        label_w = pdf.get_string_width(label) + 2 * pdf.c_margin
        pdf.at(LEFT + 3.5, y + 1, label_w, 5.5, label)
        pdf.style(7.5)
        pdf.at(
            LEFT + 3.5 + label_w + 0.5,
            y + 1,
            WIDTH - label_w - 5,
            5.5,
            "les chiffres incluent des enregistrements fictifs, générés pour présenter l'outil.",
        )
        y += 10
    return y


def _tiles(pdf: _Page, fiche: Fiche, x: float, y: float, width: float) -> float:
    """The key figures, two by two."""
    gap, height = 3.0, 14.5
    tile_w = (width - gap) / 2
    for i, (label, value) in enumerate(fiche.tiles):
        tx = x + (i % 2) * (tile_w + gap)
        ty = y + (i // 2) * (height + gap)
        pdf.fill(TILE_FILL)
        pdf.rect(tx, ty, tile_w, height, style="F")
        pdf.fill(ACCENT)
        pdf.rect(tx, ty, 1.2, height, style="F")
        pdf.style(14, bold=True)
        pdf.at(tx + 2.5, ty + 1.2, tile_w - 3, 7.5, pdf.fit(value, tile_w - 3))
        pdf.style(7.3, colour=MUTED)
        pdf.at(tx + 2.5, ty + 9, tile_w - 3, 3.6, pdf.fit(label, tile_w - 3))
    rows = (len(fiche.tiles) + 1) // 2
    return y + rows * (height + gap) + 1


def _figures_and_map(pdf: _Page, fiche: Fiche, y: float) -> float:
    """Left: the key figures and their comparison; right: the locator map."""
    map_w = 64.0
    left_w = WIDTH - map_w - 6
    bottom_left = _comparison(pdf, fiche, LEFT, _tiles(pdf, fiche, LEFT, y, left_w), left_w)
    bottom_right = _locator(pdf, fiche, LEFT + left_w + 6, y, map_w)
    return max(bottom_left, bottom_right) + 2


def _comparison(pdf: _Page, fiche: Fiche, left: float, y: float, table_w: float) -> float:
    y = pdf.heading(left, y, table_w, "Comparaison, pour 1 000 habitants")
    columns = len(fiche.comparison_header)
    first, count_w = 36.0, 21.0
    rate_w = (table_w - first - count_w) / columns
    xs = [LEFT, LEFT + first] + [LEFT + first + count_w + i * rate_w for i in range(columns)]
    widths = [first, count_w] + [rate_w] * columns
    # Header: the territory's count, then one rate per territory compared (name on up to
    # two lines, then its population).
    pdf.style(7, bold=True)
    pdf.at(xs[1], y + 3.2, count_w, 3.2, "Nombre", "R")
    for i, (name, population) in enumerate(fiche.comparison_header):
        x = xs[2 + i]
        pdf.style(6.8, bold=True)
        names = pdf.lines(name, rate_w - 1, 2)
        for n, line in enumerate(names):
            pdf.at(x, y + (2 - len(names) + n) * 3.2, rate_w, 3.2, line, "R")
        pdf.style(6.2, colour=MUTED)
        pdf.at(x, y + 6.4, rate_w, 3, pdf.fit(f"{population} hab.", rate_w), "R")
    y += 9.8
    pdf.stroke(RULE, 0.2)
    pdf.line(LEFT, y, LEFT + table_w, y)
    row_h = 6.0
    for r, row in enumerate(fiche.comparison_rows):
        if r % 2 == 0:
            pdf.fill("#f6f6f6")
            pdf.rect(LEFT, y, table_w, row_h, style="F")
        for i, (x, w, text) in enumerate(zip(xs, widths, row, strict=True)):
            pdf.style(7.3, bold=i in (1, 2))
            if i == 0:
                labels = pdf.lines(text, w, 2)
                for n, line in enumerate(labels):
                    pdf.at(x, y + (row_h - 3.1 * len(labels)) / 2 + n * 3.1, w, 3.1, line)
            else:
                pdf.at(x, y, w, row_h, pdf.fit(text, w), "R")
        y += row_h
    pdf.line(LEFT, y, LEFT + table_w, y)
    pdf.style(6.3, colour=MUTED)
    pdf.at(LEFT, y + 0.5, table_w, 3.2, "Population municipale 2023 (INSEE).")
    return y + 4


def _locator(pdf: _Page, fiche: Fiche, x: float, y: float, width: float) -> float:
    y = pdf.heading(x, y, width, "Situation dans le département")
    locator = fiche.map
    box_h = 50.0
    minx, miny, maxx, maxy = locator.bounds()
    scale = min(width / (maxx - minx), box_h / (maxy - miny))
    off_x = x + (width - (maxx - minx) * scale) / 2
    off_y = y + (box_h - (maxy - miny) * scale) / 2

    def place(ring):
        return [(off_x + (px - minx) * scale, off_y + (maxy - py) * scale) for px, py in ring]

    for code, rings in locator.communes.items():
        if code in locator.highlighted:
            colour = ACCENT
        elif code in locator.same_ept:
            colour = MAP_SAME_EPT
        else:
            colour = MAP_OTHER
        pdf.fill(colour)
        pdf.stroke("#ffffff", 0.25)
        for ring in rings:
            pdf.polygon(place(ring), style="DF")
    pdf.stroke("#222222", 0.55)
    for rings in locator.outlines.values():
        for ring in rings:
            pdf.polygon(place(ring), style="D")
    if locator.labels:
        pdf.style(3.6)
        for code, rings in locator.communes.items():
            xs = [p[0] for p in place(rings[0])]
            ys = [p[1] for p in place(rings[0])]
            light = code in locator.highlighted
            pdf.set_text_color(*_rgb("#ffffff" if light else INK))
            pdf.at(
                min(xs),
                min(ys),
                max(xs) - min(xs),
                max(ys) - min(ys),
                locator.labels.get(code, ""),
                "C",
            )
    y += box_h + 1.5
    # Legend, in two columns: the colours are also said in words.
    entries: list[tuple[str | None, str]] = [(ACCENT, fiche.name)]
    if locator.same_ept:
        entries.append((MAP_SAME_EPT, "reste de l'EPT"))
    entries += [(MAP_OTHER, "autres communes"), (None, "limites des EPT")]
    pdf.style(6.2)
    column_w = width / 2
    for i, (colour, text) in enumerate(entries):
        ex, ey = x + (i % 2) * column_w, y + (i // 2) * 3.4
        if colour is None:
            pdf.stroke("#222222", 0.55)
            pdf.line(ex, ey + 1.8, ex + 2.6, ey + 1.8)
        else:
            pdf.fill(colour)
            pdf.stroke("#888888", 0.15)
            pdf.rect(ex, ey + 0.7, 2.6, 2.2, style="DF")
        pdf.at(ex + 3, ey, column_w - 3, 3.6, pdf.fit(text, column_w - 3))
    y += ((len(entries) + 1) // 2) * 3.4 + 0.4
    pdf.style(5.8, colour=MUTED)
    where = (
        "Carte schématique : une case par commune (contours officiels non chargés)."
        if locator.schematic
        else f"Contours : {locator.source}."
    )
    for line in pdf.lines(where, width, 2):
        pdf.at(x, y, width, 2.8, line)
        y += 2.8
    return y


# Middle ------------------------------------------------------------------------------------


def _targets(pdf: _Page, fiche: Fiche, y: float, bottom: float) -> None:
    y = pdf.heading(LEFT, y, WIDTH, "Avancement des objectifs")
    if not fiche.targets:
        pdf.style(8, colour=MUTED)
        pdf.at(
            LEFT, y, WIDTH, 5, "Aucun objectif ne concerne ce territoire sous les filtres choisis."
        )
        return
    pdf.style(6.5, colour=MUTED)
    rule = (
        f"Part du territoire dans chaque objectif : {fiche.share_rules}. "
        if fiche.share_rules
        else ""
    )
    legend = (
        rule + "Barre : réalisé, en % de cette part (pleine au-delà de 100 %) ; trait noir : "
        "attendu à ce jour si l'objectif avance en ligne droite jusqu'à son échéance."
    )
    for line in pdf.lines(legend, WIDTH, 2):
        pdf.at(LEFT, y - 1, WIDTH, 3.2, line)
        y += 3.2
    y += 0.6
    rows = max(MIN_TARGET_ROWS, int((bottom - y) // TARGET_ROW_H))
    shown = fiche.targets
    if len(shown) > rows:  # the last row's room goes to « et N autres objectifs »
        shown = shown[: max(MIN_TARGET_ROWS, int((bottom - y - 4.5) // TARGET_ROW_H))]
    label_w, bar_w = 96.0, 36.0
    bar_x = LEFT + label_w + 2
    text_x = bar_x + bar_w + 2.5
    text_w = LEFT + WIDTH - text_x
    for i, target in enumerate(shown):
        top = y + i * TARGET_ROW_H
        if i % 2 == 0:
            pdf.fill("#f7f7f7")
            pdf.rect(LEFT, top, WIDTH, TARGET_ROW_H, style="F")
        pdf.style(7, bold=True)
        pdf.at(LEFT, top + 0.4, label_w, 3.3, pdf.fit(target.title, label_w))
        pdf.style(5.8, colour=MUTED)
        pdf.at(LEFT, top + 3.6, label_w, 2.8, pdf.fit(target.programme, label_w))
        # The bar: its length is the progress (none when masked), its colour the status,
        # which is also written beside it.
        bar_y, bar_h = top + 1.6, 3.6
        pdf.fill(TRACK)
        pdf.stroke("#9e9e9e", 0.15)
        pdf.rect(bar_x, bar_y, bar_w, bar_h, style="DF")
        if target.progress is not None and target.progress > 0:
            pdf.fill(STATUS_COLOURS.get(target.status, PALETTE[-1]))
            pdf.rect(bar_x, bar_y, bar_w * min(target.progress, 1.0), bar_h, style="F")
        elif target.progress is None:
            pdf.style(6, colour=MUTED)
            pdf.at(bar_x, bar_y, bar_w, bar_h, "masqué", "C")
        if target.expected is not None:
            mark = bar_x + bar_w * min(max(target.expected, 0.0), 1.0)
            pdf.stroke("#000000", 0.6)
            pdf.line(mark, bar_y - 0.9, mark, bar_y + bar_h + 0.9)
        pdf.style(7, bold=True)
        # A masked count says nothing of its progress, nor of its status.
        status = (
            target.progress_text
            if target.progress is None
            else f"{target.progress_text} · {target.status}"
        )
        pdf.at(text_x, top + 0.4, text_w, 3.3, pdf.fit(status, text_w))
        pdf.style(6.3)
        pdf.at(text_x, top + 3.6, text_w, 2.8, pdf.fit(target.figures, text_w))
    left = len(fiche.targets) - len(shown)
    if left:
        pdf.style(7, colour=MUTED)
        pdf.at(
            LEFT,
            y + len(shown) * TARGET_ROW_H + 0.6,
            WIDTH,
            3.6,
            f"et {fmt.plural(left, 'autre objectif', 'autres objectifs')} : la fiche en ligne "
            "(lien ci-dessous) les montre tous.",
        )


# Bottom ------------------------------------------------------------------------------------

FUNDER_ROW_H = 4.6
NEED_ROW_H = 4.3


def _funding_height(fiche: Fiche) -> float:
    rows = max(1, len(fiche.funders)) + (1 if fiche.funders_left else 0)
    return 7.5 + rows * FUNDER_ROW_H + 8


def _needs_height(pdf: _Page, fiche: Fiche) -> float:
    height = 0.0
    if fiche.needs:
        pdf.style(5.8)
        note = len(pdf.lines(fiche.needs_note, (WIDTH - 6) / 2, 3))
        height += 7.5 + len(fiche.needs) * NEED_ROW_H + 1.5 + note * 2.8
    if fiche.places is not None:
        height += 11 if fiche.needs else 18
    return height


def _bottom_block_height(pdf: _Page, fiche: Fiche) -> float:
    return max(_funding_height(fiche), _needs_height(pdf, fiche))


def _bottom_block(pdf: _Page, fiche: Fiche, y: float) -> None:
    side = fiche.needs or fiche.places is not None
    width = (WIDTH - 6) / 2 if side else WIDTH
    _funding(pdf, fiche, LEFT, y, width)
    if side:
        _needs(pdf, fiche, LEFT + width + 6, y, width)


def _funding(pdf: _Page, fiche: Fiche, x: float, y: float, width: float) -> None:
    y = pdf.heading(x, y, width, "Financements par financeur")
    if not fiche.funders:
        pdf.style(7.5, colour=MUTED)
        pdf.at(x, y, width, 4, "Aucun financement rattaché au territoire sous ces filtres.")
        return
    name_w, amount_w = width * (0.46 if width < WIDTH else 0.3), 25.0
    bar_w = width - name_w - amount_w - 2
    top = max(amount for _, amount in fiche.funders) or 1.0
    for i, (funder, amount) in enumerate(fiche.funders):
        row_y = y + i * FUNDER_ROW_H
        pdf.style(7.2)
        pdf.at(x, row_y, name_w, FUNDER_ROW_H, pdf.fit(funder, name_w))
        pdf.fill(PALETTE[0] if i % 2 == 0 else PALETTE[4])
        pdf.rect(x + name_w, row_y + 0.9, max(0.4, bar_w * amount / top), 2.8, style="F")
        pdf.style(7.2, bold=True)
        pdf.at(x + name_w + bar_w, row_y, amount_w + 2, FUNDER_ROW_H, fmt.money(amount), "R")
    y += len(fiche.funders) * FUNDER_ROW_H
    pdf.style(7, colour=MUTED)
    if fiche.funders_left:
        pdf.at(
            x,
            y,
            width,
            FUNDER_ROW_H,
            f"et {fmt.plural(fiche.funders_left, 'autre financeur', 'autres financeurs')} "
            f"({fmt.money(fiche.funders_left_amount)})",
        )
        y += FUNDER_ROW_H
    pdf.stroke(RULE, 0.2)
    pdf.line(x, y + 0.5, x + width, y + 0.5)
    pdf.style(7.5, bold=True)
    pdf.at(x, y + 0.8, width - amount_w, 4.2, "Total rattaché au territoire")
    pdf.at(
        x + width - amount_w - 10, y + 0.8, amount_w + 10, 4.2, fmt.money(fiche.funders_total), "R"
    )


def _needs(pdf: _Page, fiche: Fiche, x: float, y: float, width: float) -> None:
    if fiche.needs:
        y = pdf.heading(x, y, width, "Besoins : fragilité numérique")
        label_w, value_w = width * 0.56, 12.0
        bar_w = width - label_w - value_w - 1
        for i, need in enumerate(fiche.needs):
            row_y = y + i * NEED_ROW_H
            pdf.style(7, bold=need.total)
            pdf.at(x, row_y, label_w, NEED_ROW_H, pdf.fit(need.label, label_w))
            span = (need.scale_max - need.scale_min) or 1.0
            bar_x = x + label_w
            pdf.fill(TRACK)
            pdf.stroke("#9e9e9e", 0.15)
            pdf.rect(bar_x, row_y + 1.0, bar_w, 2.6, style="DF")
            share = min(max((need.value - need.scale_min) / span, 0.0), 1.0)
            pdf.fill(PALETTE[5] if need.total else PALETTE[1])
            pdf.rect(bar_x, row_y + 1.0, bar_w * share, 2.6, style="F")
            mark = bar_x + bar_w * min(max((need.departement - need.scale_min) / span, 0), 1)
            pdf.stroke("#000000", 0.5)
            pdf.line(mark, row_y + 0.3, mark, row_y + 4.3)
            pdf.style(7, bold=True)
            pdf.at(
                bar_x + bar_w,
                row_y,
                value_w + 1,
                NEED_ROW_H,
                f"{fmt.number(need.value, 1)}/{fmt.number(need.scale_max)}",
                "R",
            )
        y += len(fiche.needs) * NEED_ROW_H + 0.5
        pdf.style(5.8, colour=MUTED)
        for line in pdf.lines(fiche.needs_note, width, 3):
            pdf.at(x, y, width, 2.8, line)
            y += 2.8
        y += 1
    if fiche.places is not None:
        if not fiche.needs:
            y = pdf.heading(x, y, width, "Lieux de médiation numérique")
        places = fiche.places
        pdf.style(7.5, bold=True)
        text = fmt.plural(
            places.count,
            "lieu de médiation numérique recensé",
            "lieux de médiation numérique recensés",
        )
        pdf.at(x, y, width, 4, pdf.fit(text, width))
        pdf.style(6.5, colour=MUTED)
        detail = ""
        if places.per_10000 is not None:
            detail = (
                f"{_rate(places.per_10000)} pour 10 000 habitants "
                f"({DEPARTEMENT} : {_rate(places.departement_per_10000)})"
            )
        if places.updated:
            detail += f" ; mise à jour la plus récente : {places.updated}"
        for n, line in enumerate(pdf.lines(detail, width, 2)):
            pdf.at(x, y + 4 + n * 3, width, 3, line)


def _proposed_share(pdf: _Page, fiche: Fiche, y: float) -> float:
    """« Part proposée »: a scenario of « Répartir une enveloppe », when the fiche holds one,
    in a compact band (its share, the rule and the rule's method) so that the targets keep
    their room; returns the y below it."""
    proposed = fiche.proposed
    if proposed is None:
        return y
    pdf.style(8, bold=True)
    sentence = pdf.lines(f"Part proposée : {proposed.sentence()}", WIDTH - 4, 2)
    pdf.style(6.2)
    method = pdf.lines(f"Méthode : {proposed.method}", WIDTH - 4, 3)
    height = 1.6 + 3.9 * len(sentence) + 2.9 * len(method)
    pdf.fill(TILE_FILL)
    pdf.rect(LEFT, y, WIDTH, height, style="F")
    pdf.fill(ACCENT)
    pdf.rect(LEFT, y, 1.2, height, style="F")
    top = y + 0.8
    pdf.style(8, bold=True)
    for line in sentence:
        pdf.at(LEFT + 2.5, top, WIDTH - 4, 3.9, line)
        top += 3.9
    pdf.style(6.2, colour=MUTED)
    for line in method:
        pdf.at(LEFT + 2.5, top, WIDTH - 4, 2.9, line)
        top += 2.9
    return y + height + 2


def _rate(value: float | None) -> str:
    """« 0,55 », « 1,2 »: two decimals below one, so that a small rate never reads « 0,0 »."""
    return fmt.number(value, 2 if value is not None and value < 1 else 1)


def _footer(pdf: _Page, fiche: Fiche, measure_only: bool = False) -> float:
    """The notes, the source line, the link and the date, set against the bottom margin;
    returns the top of the footer."""
    pdf.style(6.3, colour=MUTED)
    blocks: list[tuple[str, bool, str | None]] = [(note, False, None) for note in fiche.notes]
    if fiche.has_demo:
        blocks.append(
            (
                "Données de démonstration : les chiffres incluent des enregistrements fictifs ; "
                "décochez « Inclure les données de démonstration » pour ne voir que les données "
                "réelles.",
                False,
                None,
            )
        )
    blocks.append((fiche.source, True, None))
    blocks.append((f"Voir cette fiche en ligne : {fiche.link}", False, fiche.link))
    blocks.append(
        (
            f"Fiche générée le {fiche.generated} par l'{PRODUCER[0].lower()}{PRODUCER[1:]}.",
            False,
            None,
        )
    )
    line_h = 2.9
    wrapped = []
    for text, bold, link in blocks:
        pdf.style(6.3, bold=bold)
        wrapped.append((pdf.lines(text, WIDTH), bold, link))
    top = PAGE_H - BOTTOM - sum(len(lines) for lines, _, _ in wrapped) * line_h - 1.5
    if measure_only:
        return top
    pdf.stroke(RULE, 0.3)
    pdf.line(LEFT, top, LEFT + WIDTH, top)
    y = top + 1.2
    for lines, bold, link in wrapped:
        pdf.style(6.3, bold=bold, colour=ACCENT if link else (INK if bold else MUTED))
        for line in lines:
            pdf.at(LEFT, y, WIDTH, line_h, line, link=link or "")
            y += line_h
    return top


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
