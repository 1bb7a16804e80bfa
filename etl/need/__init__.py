"""Need-side data (issue #13): indicators of digital fragility, places of digital mediation
and conseiller numérique structures, loaded from the real files programme managers bring.

- layouts.py: the header of each real layout, recognised (and a file lacking a required
  column refused whole);
- indicators.py, places.py, conseillers.py: one kind each (``python -m etl load
  indicateurs|lieux|conseillers``);
- common.py: reading, French numbers and dates, commune resolution, the load (ledger,
  --replace, one transaction);
- reference.py: the shipped reference files (data/reference/), loaded by ``init``.
"""

from __future__ import annotations

from pathlib import Path

KINDS = ("indicateurs", "lieux", "conseillers")
KIND_LABELS = {"indicateurs": "indicateurs", "lieux": "lieux", "conseillers": "conseillers"}


def load_need_file(db: Path, kind: str, path_or_bytes, **kwargs):
    """``etl.load.load_file`` for the need-side kinds (same arguments, plus ``year``)."""
    from etl.need import conseillers, indicators, places

    module = {"indicateurs": indicators, "lieux": places, "conseillers": conseillers}[kind]
    return module.load(db, path_or_bytes, **kwargs)
