"""The one-page A4 PDF fiche of a commune or an EPT (issue #14); « sheet » is the page,
« fiches » the ZIP of every fiche (observatoire/fiches.py).

- content.py: what the fiche says, from observatoire/territory.py (the content it shares with
  the sheet page), masked as on screen (no Streamlit);
- locator.py: the locator map's shapes (stored contours, or the schematic tiles);
- render.py: the page itself (HTML printed by WeasyPrint as a tagged PDF/UA-1, embedded
  DejaVu Sans, real text), and `build(code, filters)`, the PDF bytes that the sheet's
  « Fiche PDF (A4) » button and `python -m observatoire.fiches` both ask for.

This __init__ imports none of them: its modules import one another through the package, so
an __init__ importing them back would make an import cycle.
"""
