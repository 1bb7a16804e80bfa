"""The one-page A4 PDF fiche of a commune or an EPT (issue #14).

- content.py: what the fiche says, from the query layer, masked as on screen (no Streamlit);
- locator.py: the locator map's shapes (stored contours, or the schematic tiles);
- render.py: the page itself (fpdf2, embedded DejaVu Sans, real text).

`build(code, filters)` returns the PDF bytes; the sheet's « Fiche PDF (A4) » button and
`python -m observatoire.fiches` (every fiche in a ZIP) both call it.
"""

from __future__ import annotations

from datetime import date

from observatoire.fiche.content import Fiche, file_name, gather, territory_codes, view_link
from observatoire.fiche.render import render_pdf
from observatoire.filters import Filters

__all__ = ["Fiche", "build", "file_name", "gather", "render_pdf", "territory_codes", "view_link"]


def build(
    code: str,
    filters: Filters | None = None,
    *,
    base_url: str | None = None,
    today: date | None = None,
) -> bytes:
    """The fiche of commune or EPT CODE under FILTERS, as PDF bytes."""
    return render_pdf(gather(code, filters, base_url=base_url, today=today))
