"""The tiny warehouse of the `small_db` fixture (tests/conftest.py), computed by hand for the
tests of small counts of people (map, sheet, disclosure helpers):

- Coubron: 3 ordinateurs (3 people) — masked (< 5);
- Dugny: 7 accompagnements (7 people) — the next smallest count, masked too (secondary
  suppression: Coubron alone could be recomputed from a total);
- Montreuil 120 ordinateurs, Bobigny 40 tablettes, Aubervilliers 60 smartphones: shown;
- Aubervilliers also 2 recharges: a recharge counts no person;
- one conseiller post in Coubron and 900 € for Coubron: never masked.
"""

from __future__ import annotations

COUBRON, DUGNY, MONTREUIL, BOBIGNY, AUBERVILLIERS = "93015", "93030", "93048", "93008", "93001"
SECRETS = {COUBRON: 3, DUGNY: 7}  # the numbers that must never be published


def internal(monkeypatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_INTERNAL_MODE", "1")
