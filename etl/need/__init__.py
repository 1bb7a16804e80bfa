"""Need-side data (issue #13): indicators of digital fragility, places of digital mediation
and conseiller numérique structures, from the real files programme managers bring. They are
loaded by the one pipeline of etl/pipeline/ (ledger, --replace, one transaction); this package
holds what is specific to them, plugged into it (etl/pipeline/kinds.py):

- layouts.py: each real layout recognised from its header (the header names are declared
  with the kinds' contracts, etl/schemas.py), a file lacking a required column refused whole;
- indicators.py, places.py, conseillers.py: one kind each (``python -m etl load
  indicateurs|lieux|conseillers``), its rows parsed, and its ``STEPS``;
- common.py: reading the rows, French numbers and dates, what a parser returns.

Nothing here imports etl/pipeline/, and this file imports none of its modules (no import cycle).
"""
