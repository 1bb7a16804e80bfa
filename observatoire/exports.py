"""Bytes for downloads: CSV (standard or French-friendly) and XLSX, safe to open in a
spreadsheet: no cell may start a formula."""

from __future__ import annotations

import copy
import io
import re
import shutil
import threading
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from observatoire import disclosure, fmt

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
        return safe.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
    return safe.to_csv(index=False).encode("utf-8")


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


def press_figure(
    fig: go.Figure,
    *,
    title: str,
    subtitle: str = "",
    source: str,
    demo: bool,
    preset: str = "communique",
) -> go.Figure:
    """A copy of the figure dressed for print: title and subtitle, source line, the figure's
    own attribution (a map's « Contours : IGN – ADMIN EXPRESS, Licence Ouverte », carried in
    layout.meta) and, when demonstration records are included, the mention « Données de
    démonstration »."""
    size = PRESETS[preset]
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    heading = f"<b>{_escape(title)}</b>"
    if subtitle:
        heading += f"<br><span style='font-size:15px;color:#444'>{_escape(subtitle)}</span>"
    footer_lines = [_escape(source)]
    if attribution := figure_attribution(out):
        footer_lines.append(_escape(attribution))
    if demo:
        footer_lines.append(f"<b>{DEMO_MENTION}</b> : chiffres fictifs, pour présentation.")
    has_legend = any(getattr(trace, "showlegend", None) is not False for trace in out.data) and (
        len(out.data) > 1
    )
    # Title, subtitle, then the legend above the plot; the footer stays clear of all of them.
    top = (110 if subtitle else 80) + (40 if has_legend else 0)
    legend_title = out.layout.legend.title.text if has_legend else None
    if legend_title and out.layout.legend.title.side == "top":
        top += 22 * (legend_title.count("<br>") + 1)  # a map's legend title over its entries
    margin_bottom = 80 + 20 * len(footer_lines)
    out.update_layout(
        title={
            "text": heading,
            "x": 0.01,
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": 24},
            "font": {"size": 22},
        },
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.01, "yanchor": "bottom"},
        width=size.width,
        height=size.height,
        separators=fmt.PLOTLY_SEPARATORS,
        font={"family": "DejaVu Sans, Arial, sans-serif", "size": 14},
        margin={"t": top, "b": margin_bottom, "l": 40, "r": 40},
        paper_bgcolor="white",
    )
    out.update_xaxes(automargin=True)
    out.update_yaxes(automargin=True)
    # The footer sits in the bottom margin, 12 px above the edge of the image.
    plot_height = size.height - top - margin_bottom
    out.add_annotation(
        text="<br>".join(footer_lines),
        xref="paper",
        yref="paper",
        x=0,
        y=-(margin_bottom - 12) / plot_height,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        align="left",
        font={"size": 13, "color": "#333"},
    )
    return out


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
    """PNG (at 2× scale), SVG or PDF of a dressed figure, at the preset's size."""
    if not image_export_available():
        raise ImageExportUnavailable(
            "L'export d'images demande Chromium sur le serveur (apt-get install chromium)."
        )
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


def slug(text: str) -> str:
    """A French file name: « Ordinateurs distribués, par commune » →
    ordinateurs-distribues-par-commune."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "figure"


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
