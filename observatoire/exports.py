"""Bytes for downloads: CSV (standard or French-friendly) and XLSX, safe to open in a
spreadsheet: no cell may start a formula."""

from __future__ import annotations

import copy
import html
import io
import json
import math
import re
import shutil
import threading
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from observatoire import disclosure, fmt, textsize
from observatoire.map import labels as map_labels
from observatoire.textsize import LINE, text_width

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    disclosure.check_exportable(frame)  # exact counts of people only for internes
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe


def to_csv(frame: pd.DataFrame, *, french: bool = True) -> bytes:
    """French-friendly CSV (UTF-8 with BOM, `;`, decimal comma) or standard CSV (UTF-8, `,`)."""
    safe = safe_frame(frame)
    if french:
        return french_numbers(safe).to_csv(index=False, sep=";").encode("utf-8-sig")
    return safe.to_csv(index=False).encode("utf-8")


def french_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """FRAME with every decimal number written as French text (« 0,7 », « 1834 »), in
    float columns and in columns of text and numbers alike (a masked « masqué » among
    shares): pandas' decimal="," reaches float columns only."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_float_dtype(series):
            out[column] = series.map(_french_number).astype(object)
    return out


def _french_number(value):
    """« 0,7 » for 0.7, « 1834 » for 1834.0 (a whole count), nothing for NaN; other values
    as they are."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, float | np.floating):
        return value
    if math.isnan(value) or math.isinf(value):
        return None
    if float(value).is_integer():
        return str(int(value))
    return np.format_float_positional(value, trim="-").replace(".", ",")


# Rows of data an XLSX sheet can hold: 1 048 576 rows, less the header and a title's rows.
XLSX_MAX_ROWS = 1_048_576 - 3


def to_xlsx(frame: pd.DataFrame, sheet: str = "Données", title: str | None = None) -> bytes:
    """XLSX with numbers stored as numbers and text never read as a formula."""
    buffer = io.BytesIO()
    safe = safe_frame(frame)
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        start = 2 if title else 0
        safe.to_excel(writer, sheet_name=sheet[:31], index=False, startrow=start)
        sheet_obj = writer.sheets[sheet[:31]]
        if title:
            sheet_obj.write_string(0, 0, neutralise(title))
        for i, column in enumerate(safe.columns):
            width = max([len(str(column))] + [len(str(v)) for v in safe[column].head(200)])
            sheet_obj.set_column(i, i, min(60, width + 2))
    return buffer.getvalue()


# Images ------------------------------------------------------------------------------------
# Rendered server-side by Plotly's kaleido through the system Chromium. The engine starts
# once per process and is reused: the first image costs ~2 s, the next ones ~0.2 s.


DEMO_MENTION = "Données de démonstration"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


@dataclass(frozen=True)
class Preset:
    label: str
    width: int
    height: int
    formats: tuple[str, ...] = ("png", "svg", "pdf")


# Sizes a communications team uses. A4 landscape: 297 × 210 mm at 96 px per inch.
PRESETS = {
    "communique": Preset("Communiqué de presse (1 200 × 800)", 1200, 800),
    "carre": Preset("Réseaux sociaux, carré (1 080 × 1 080)", 1080, 1080),
    "diapo": Preset("Diapositive 16:9 (1 920 × 1 080)", 1920, 1080),
    "a4": Preset("A4 paysage (PDF)", 1123, 794, ("pdf",)),
}
PNG_SCALE = 2  # print quality: a 1 200 × 800 preset gives a 2 400 × 1 600 PNG
MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}

_engine_lock = threading.Lock()
_engine_started = False


def chromium_path() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def image_export_available() -> bool:
    return chromium_path() is not None


class ImageExportUnavailable(RuntimeError):
    """No Chromium on this machine: images cannot be rendered (the rest works)."""


def _ensure_engine() -> None:
    global _engine_started
    import kaleido

    with _engine_lock:
        if not _engine_started:
            kaleido.start_sync_server(n=1, timeout=60, mathjax=False, silence_warnings=True)
            _engine_started = True


def source_text(source: str, data_date: date | str | None) -> str:
    """« Source : Département de la Seine-Saint-Denis, <source> — données au 17/11/2020 »."""
    text = f"Source : Département de la Seine-Saint-Denis, {source}"
    if data_date is not None:
        text += f" — données au {fmt.french_date(data_date)}"
    return text


SIDE = 24  # px of white on the left and right of every text line
TITLE_SIZE, SUBTITLE_SIZE, FOOTER_SIZE, BODY_SIZE = 22, 15, 13, 14
_TAG = textsize.TAG


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """TEXT cut into lines no wider than WIDTH pixels, between words (a word wider than the
    line is cut after a hyphen, or else where it must). Existing <br> are kept."""
    lines: list[str] = []
    for paragraph in re.split(r"<br\s*/?>", text):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size, bold) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
            while text_width(line, size, bold) > width and len(line) > 1:
                head = _cut(line, width, size, bold)
                lines.append(head)
                line = line[len(head) :].lstrip()
        lines.append(line)
    return lines


def _cut(word: str, width: float, size: float, bold: bool) -> str:
    """The longest head of WORD that fits WIDTH, after a hyphen when there is one."""
    fits = max(
        (i for i in range(1, len(word) + 1) if text_width(word[:i], size, bold) <= width),
        default=1,
    )
    hyphen = word.rfind("-", 0, fits)
    return word[: hyphen + 1] if hyphen > 0 else word[:fits]


def _lines_height(count: int, size: float) -> float:
    return count * size * LINE


def press_figure(
    fig: go.Figure,
    *,
    title: str,
    subtitle: str = "",
    source: str,
    demo: bool,
    preset: str = "communique",
    reading: str = "",
) -> go.Figure:
    """A copy of the figure dressed for print: title and subtitle, source line, the figure's
    own attribution (a map's « Contours : IGN – ADMIN EXPRESS, Licence Ouverte », carried in
    layout.meta) and, when demonstration records are included, the mention « Données de
    démonstration ». Every text line is wrapped to the image's width and the plot gets the
    room left between the heading (title, subtitle, legend) and the footer; a map is fitted
    to that room and its names placed again at the image's scale (map/labels.py)."""
    size = PRESETS[preset]
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    usable = size.width - 2 * SIDE
    title_lines = wrap(_escape(title), usable, TITLE_SIZE, bold=True)
    subtitle_lines = wrap(_escape(subtitle), usable, SUBTITLE_SIZE) if subtitle else []
    heading = "<br>".join(f"<b>{line}</b>" for line in title_lines)
    heading += "".join(
        f"<br><span style='font-size:{SUBTITLE_SIZE}px;color:#444'>{line}</span>"
        for line in subtitle_lines
    )
    footer_lines = wrap(_escape(source), usable, FOOTER_SIZE)
    if attribution := figure_attribution(out):
        footer_lines += wrap(_escape(attribution), usable, FOOTER_SIZE)
    if demo:
        footer_lines.append(f"<b>{DEMO_MENTION}</b> : chiffres fictifs, pour présentation.")
    heading_height = 28 + _lines_height(len(title_lines) + len(subtitle_lines), TITLE_SIZE)
    footer_height = 12 + _lines_height(len(footer_lines), FOOTER_SIZE)
    is_map = map_labels.is_map(out)
    legend = _legend_layout(out, size, heading_height)
    top = heading_height + legend["top"] + 10
    bottom = footer_height + _bottom_axis_height(out) + 10
    out.update_layout(
        title={
            "text": heading,
            "x": SIDE / size.width,
            "xanchor": "left",
            "xref": "container",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": 28},
            "font": {"size": TITLE_SIZE},
        },
        legend=legend["layout"],
        width=size.width,
        height=size.height,
        separators=fmt.PLOTLY_SEPARATORS,
        font={"family": "DejaVu Sans, Arial, sans-serif", "size": BODY_SIZE},
        margin={"t": top, "b": bottom, "l": SIDE, "r": SIDE + legend["right"]},
        paper_bgcolor="white",
    )
    # Bottom tick labels a little lower: the first one stays clear of the y axis's « 0 ».
    out.update_xaxes(automargin="left+right", ticklabelstandoff=8)
    out.update_yaxes(automargin=True)
    plot_width = size.width - 2 * SIDE - legend["right"]
    plot_height = size.height - top - bottom
    _fit_category_ticks(out, plot_height)
    if is_map:
        map_labels.fit_map(out, plot_width, plot_height)
    _fit_sankey_labels(out, plot_width, plot_height)
    # The footer: from the image's left edge (SIDE) to its bottom (10 px above the edge); in
    # paper coordinates, corrected by render_image once Plotly has set the left margin.
    out.add_annotation(
        text="<br>".join(footer_lines),
        name=FOOTER_NAME,
        xref="paper",
        yref="paper",
        x=0,
        y=-(bottom - 10) / plot_height,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        align="left",
        font={"size": FOOTER_SIZE, "color": "#333"},
    )
    alt = alt_text(fig, title, subtitle, reading)
    out.update_layout(meta={**_meta(out), "press": {"title": title, "bottom": 10, "alt": alt}})
    return out


FOOTER_NAME = "source"


def _meta(fig: go.Figure) -> dict:
    meta = fig.layout.meta
    return dict(meta) if isinstance(meta, dict) else {}


def _legend_entries(fig: go.Figure) -> list:
    """The traces that draw a legend entry."""
    if fig.layout.showlegend is False:
        return []
    shown = [
        trace
        for trace in fig.data
        if trace.type not in ("sankey", "pie", "table")
        and getattr(trace, "showlegend", None) is not False
        and trace.name
    ]
    # Plotly shows a legend of one trace only when told to (layout or trace).
    told = fig.layout.showlegend or any(trace.showlegend for trace in shown)
    return shown if len(shown) > 1 or told else []


def _legend_layout(fig: go.Figure, size: Preset, heading: float) -> dict:
    """The legend of an exported image: under the heading, across the width, its entries
    wrapped to it. Returns its layout, the height it takes at the top and the width it
    takes on the right (none)."""
    entries = _legend_entries(fig)
    if not entries:
        return {"layout": {"visible": False}, "top": 0, "right": 0}
    font = BODY_SIZE
    usable = size.width - 2 * SIDE
    title = fig.layout.legend.title.text or ""
    symbol = 40  # the swatch and the gap before the text
    title_lines = wrap(title, usable, font) if title else []
    rows, used = 1, 0.0
    for trace in entries:
        lines = wrap(trace.name, usable - symbol - 20, font)
        trace.name = "<br>".join(lines)
        item = max(text_width(line, font) for line in lines) + symbol + 10
        if used and used + item > usable - 20:
            rows, used = rows + 1, 0.0
        used += item
        rows += len(lines) - 1
    height = rows * 32 + _lines_height(len(title_lines), font) + 6
    layout = {
        "orientation": "h",
        "xref": "container",
        "x": SIDE / size.width,
        "xanchor": "left",
        "yref": "container",
        "y": 1 - heading / size.height,
        "yanchor": "top",
        "title": {"text": "<br>".join(title_lines), "side": "top"},
    }
    return {"layout": layout, "top": height, "right": 0}


def _bottom_axis_height(fig: go.Figure) -> float:
    """Room for the bottom x axes' tick labels and title."""
    height = 0.0
    for axis in _axes(fig, "x"):
        if axis.visible is False or axis.side == "top":
            continue
        lines = 1
        if axis.type == "category" or _categories(fig, "x"):
            lines = max([1] + [str(v).count("<br>") + 1 for v in _categories(fig, "x")])
        if axis.showticklabels is not False:
            height = max(height, _lines_height(lines, BODY_SIZE) + 12)
        if axis.title.text:
            height += _lines_height(axis.title.text.count("<br>") + 1, BODY_SIZE) + 12
    return height


def _axes(fig: go.Figure, letter: str) -> list:
    return [fig.layout[name] for name in fig.layout if name.startswith(f"{letter}axis")]


def _categories(fig: go.Figure, letter: str) -> list:
    """The text values a trace puts on the LETTER axis (a bar chart's categories)."""
    values = []
    for trace in fig.data:
        data = getattr(trace, letter, None)
        if isinstance(data, dict) or data is None:  # a typed array: numbers
            continue
        data = list(data)
        if data and isinstance(data[0], str):
            values.extend(data)
    return values


def _fit_sankey_labels(fig: go.Figure, plot_width: float, plot_height: float) -> None:
    """A Sankey's node names (written on the right of their nodes) wrapped so that none
    runs past the next column's nodes; a name of the column before the last, which the
    last column's names (written on the left of theirs) may meet, is wrapped to leave them
    room when its node is tall enough to hold its lines."""
    for trace in fig.data:
        if trace.type != "sankey" or not trace.node.label:
            continue
        sources, targets = list(trace.link.source or []), list(trace.link.target or [])
        values = list(trace.link.value or [])
        count = len(trace.node.label)
        depth = dict.fromkeys(range(count), 0)
        for _ in range(count):  # longest path from a source node, links being few
            for s, t in zip(sources, targets, strict=False):
                depth[t] = max(depth[t], depth[s] + 1)
        columns = max(depth.values()) + 1
        if columns < 2:
            continue
        flow_in, flow_out = [0.0] * count, [0.0] * count
        for s, t, v in zip(sources, targets, values, strict=False):
            flow_out[s] += v
            flow_in[t] += v
        value = [max(i, o) for i, o in zip(flow_in, flow_out, strict=True)]
        # Plotly's scale: the fullest column fills the height, less the gaps between nodes.
        pad = trace.node.pad if trace.node.pad is not None else 20
        scale = min(
            (plot_height - pad * (n - 1)) / total
            for d in range(columns)
            if (total := sum(v for i, v in enumerate(value) if depth[i] == d))
            and (n := sum(1 for i in range(count) if depth[i] == d))
        )
        size = trace.textfont.size or BODY_SIZE
        gap = plot_width / (columns - 1)
        names = [str(name) for name in trace.node.label]
        last = max(text_width(n, size) for i, n in enumerate(names) if depth[i] == columns - 1)
        labels = []
        for i, name in enumerate(names):
            if depth[i] == columns - 1:
                labels.append(name)
                continue
            lines = wrap(name, gap - 40, size)
            if depth[i] == columns - 2:
                tight = wrap(name, gap - last - 40, size)
                if len(tight) * size * LINE <= value[i] * scale:
                    lines = tight
            labels.append("<br>".join(lines))
        trace.node.label = labels


def _fit_category_ticks(fig: go.Figure, plot_height: float) -> None:
    """Many categories on a vertical axis (one bar per target): tick labels made small
    enough that their lines do not run into each other in the image's height."""
    categories = list(dict.fromkeys(_categories(fig, "y")))
    if not categories:
        return
    lines = sum(str(c).count("<br>") + 1 for c in categories)
    # Each category gets plot_height / len; its label's lines must fit in it.
    per_line = plot_height / len(categories) / max(str(c).count("<br>") + 1 for c in categories)
    current = fig.layout.yaxis.tickfont.size or BODY_SIZE
    fitting = min(current, per_line / LINE * 0.95)
    if lines and fitting < current:
        fig.update_yaxes(tickfont_size=max(6, int(fitting)))


def figure_attribution(fig: go.Figure) -> str | None:
    """The attribution a figure carries in layout.meta (the map's contours), if any."""
    meta = fig.layout.meta
    if isinstance(meta, dict) and meta.get("attribution"):
        return str(meta["attribution"])
    return None


def _escape(text: str) -> str:
    """Plotly titles accept a small HTML subset: user text must not inject tags."""
    return re.sub(r"[<>]", lambda m: {"<": "&lt;", ">": "&gt;"}[m.group()], text)


def render_image(fig: go.Figure, image_format: str, preset: str = "communique") -> bytes:
    """PNG (at 2× scale), SVG or PDF of a dressed figure, at the preset's size; a PDF's
    metadata title is the figure's title."""
    if not image_export_available():
        raise ImageExportUnavailable(
            "L'export d'images demande Chromium sur le serveur (apt-get install chromium)."
        )
    fig = _place_footer(fig, preset)
    data = _render(fig, image_format, preset)
    press = _meta(fig).get("press", {})
    if image_format == "pdf":
        title = press.get("title") or _plain(fig.layout.title.text or "")
        data = pdf_with_title(data, title, press.get("alt"))
    elif image_format == "svg" and press.get("alt"):
        data = svg_with_description(data, press["title"], press["alt"])
    return data


def svg_with_description(data: bytes, title: str, alt: str) -> bytes:
    """The SVG with its title and alternative text (<title>, <desc>) for screen readers."""
    text = data.decode("utf-8")
    head = text.index(">", text.index("<svg")) + 1
    parts = f"<title>{html.escape(title)}</title><desc>{html.escape(alt)}</desc>"
    return (text[:head] + parts + text[head:]).encode("utf-8")


def figure_kind(fig: go.Figure) -> str:
    """What the picture is, in French: « Carte des 39 communes de la Seine-Saint-Denis »,
    « Diagramme en barres horizontales »…"""
    if map_labels.is_map(fig):
        count = len(map_labels.territory_codes(fig))
        word = "communes" if count > 4 else "EPT"
        return f"Carte des {count} {word} de la Seine-Saint-Denis"
    types = {trace.type for trace in fig.data}
    if "sankey" in types:
        return "Diagramme de flux (Sankey), des financeurs aux programmes et aux territoires"
    bars = [trace for trace in fig.data if trace.type == "bar" and trace.x is not None]
    if bars:
        across = any(trace.orientation == "h" for trace in bars)
        return "Diagramme en barres horizontales" if across else "Diagramme en barres"
    scatters = [trace for trace in fig.data if trace.type == "scatter"]
    if any(trace.fill in ("tonexty", "tozeroy") for trace in scatters):
        return "Graphique en aires empilées, mois par mois"
    if scatters and all((trace.mode or "").startswith("markers") for trace in scatters):
        return "Nuage de points"
    return "Courbe" if scatters else "Graphique"


def alt_text(fig: go.Figure, title: str, subtitle: str, reading: str) -> str:
    """The alternative text of an exported picture: what it is, what it shows and its main
    reading; for a map, its classes (bounds and number of territories in each)."""
    text = f"{figure_kind(fig)} : {_plain(title)}"
    if subtitle:
        text += f" ({_plain(subtitle)})"
    text += "."
    if map_labels.is_map(fig):
        legend = fig.layout.legend.title.text
        classes = [_plain(t.name) for t in fig.data if t.type == "bar" and t.name]
        if classes:
            unit = f" ({_plain(legend)})" if legend else ""
            text += f" Classes{unit}, de la plus claire à la plus foncée : " + " ; ".join(classes)
            text += "."
    if reading:
        text += f" Lecture : {reading.strip()}"
        text += "" if text.endswith(".") else "."
    return text


def _render(fig: go.Figure, image_format: str, preset: str) -> bytes:
    import kaleido

    _ensure_engine()
    size = PRESETS[preset]
    return kaleido.calc_fig_sync(
        fig,
        opts={
            "format": image_format,
            "width": size.width,
            "height": size.height,
            "scale": PNG_SCALE if image_format == "png" else 1,
        },
    )


# The xy plot in Plotly's SVG: its clip rectangle (size) and its group (position).
_PLOT_SIZE = re.compile(r'class="plotclip"><rect width="([\d.]+)" height="([\d.]+)"')
_PLOT_AT = re.compile(r'class="xy" transform="translate\(([\d.-]+),\s*([\d.-]+)\)"')


def _plot_area(svg: str) -> tuple[float, float, float, float] | None:
    """Left, top, width and height of the first xy plot of an SVG made by Plotly."""
    size, at = _PLOT_SIZE.search(svg), _PLOT_AT.search(svg)
    if not size or not at:
        return None
    return float(at[1]), float(at[2]), float(size[1]), float(size[2])


@lru_cache(maxsize=16)
def _plot_area_of(figure_json: str, preset: str) -> tuple[float, float, float, float] | None:
    """Where the plot lies in the image (one SVG rendering, kept for the other formats)."""
    return _plot_area(_render(go.Figure(json.loads(figure_json)), "svg", preset).decode("utf-8"))


def _place_footer(fig: go.Figure, preset: str) -> go.Figure:
    """The footer of a dressed figure moved to the image's left edge and bottom: Plotly
    widens the left margin for long axis labels (automargin), which moves the paper
    coordinates the footer is written in. One SVG rendering tells where the plot lies; the
    names of the « Aide et besoins » scatter are placed again at that plot's size
    (charts/need.py), as a map's are (map/labels.py)."""
    press = _meta(fig).get("press")
    footer = [a for a in fig.layout.annotations if a.name == FOOTER_NAME]
    if not press or not footer:
        return fig
    size = PRESETS[preset]
    # Without visible axes (a map, a Sankey) Plotly keeps the margins: nothing to measure.
    axes = [a for a in _axes(fig, "y") if a.visible is not False and a.showticklabels is not False]
    cartesian = any(t.type in ("bar", "scatter", "histogram", "box") for t in fig.data)
    found = _plot_area_of(fig.to_json(), preset) if axes and cartesian else None
    if found:
        left, top, width, height = found
    else:  # the paper is the area inside the margins
        margin = fig.layout.margin
        left, top = margin.l, margin.t
        width = size.width - margin.l - margin.r
        height = size.height - margin.t - margin.b
    out = go.Figure(fig)
    if found:
        from observatoire.charts import need as need_charts  # it measures text with ours

        need_charts.place_names_for_plot(out, [(width, height)])
    out.update_annotations(
        selector={"name": FOOTER_NAME},
        x=(SIDE - left) / width,
        y=-(size.height - press["bottom"] - (top + height)) / height,
    )
    return out


def pdf_with_title(data: bytes, title: str, subject: str | None = None) -> bytes:
    """The PDF with TITLE as its document title (Chromium writes its page's title,
    « Kaleido-fier ») and the alternative text as its subject."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    metadata = {"/Title": title, "/Creator": "Observatoire de l'inclusion numérique"}
    if subject:
        metadata["/Subject"] = subject
    writer.add_metadata(metadata)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub(" ", text)).replace("  ", " ").strip()


SLUG_LENGTH = 80


def slug(text: str, length: int = SLUG_LENGTH) -> str:
    """A French file name: « Ordinateurs distribués, par commune » →
    ordinateurs-distribues-par-commune."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(name) > length:  # cut between words, never inside one
        name = name[: length + 1].rsplit("-", 1)[0]
    return name or "figure"


def toolbar_config(file_name: str, preset: str = "communique") -> dict:
    """Plotly's own toolbar download: French file name, preset size, 2× scale, French locale."""
    size = PRESETS[preset]
    return {
        "toImageButtonOptions": {
            "format": "png",
            "filename": file_name,
            "width": size.width,
            "height": size.height,
            "scale": PNG_SCALE,
        },
        "displaylogo": False,
        "locale": "fr",
    }


@dataclass
class KitFigure:
    name: str
    dress: Callable[[], go.Figure]  # returns the figure dressed with press_figure
    data: pd.DataFrame


def exportable(frame: pd.DataFrame) -> bool:
    """Whether FRAME may be exported to this reader (disclosure.check_exportable)."""
    try:
        disclosure.check_exportable(frame)
    except disclosure.UnprotectedExport:
        return False
    return True


def press_kit(
    figures: list[KitFigure],
    *,
    caption: str,
    alt_text: str,
    link: str,
    preset: str = "communique",
) -> bytes:
    """A ZIP with each figure as PNG (and SVG/PDF), its data as CSV and XLSX, and a text file
    with the caption, the alternative text and the link that reproduces the view. Refused
    (disclosure.UnprotectedExport) before anything is drawn when one figure's data holds
    exact counts of people that the reader may not see."""
    for item in figures:
        disclosure.check_exportable(item.data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in figures:
            figure = item.dress()
            for image_format in PRESETS[preset].formats:
                archive.writestr(
                    f"{item.name}.{image_format}", render_image(figure, image_format, preset)
                )
            archive.writestr(f"{item.name}.csv", to_csv(item.data, french=True))
            archive.writestr(f"{item.name}.xlsx", to_xlsx(item.data))
        archive.writestr(
            "legende.txt",
            f"Légende :\n{caption}\n\nTexte alternatif :\n{alt_text}\n\n"
            f"Lien vers cette vue :\n{link}\n",
        )
    return buffer.getvalue()
