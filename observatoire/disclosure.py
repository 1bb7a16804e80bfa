"""Disclosure control: small counts of people can identify them.

For a lecteur (anyone but the internes: see observatoire/auth.py), counts of people per
territory below the threshold (OBSERVATOIRE_SMALL_COUNT_THRESHOLD, default 5) are replaced
by « < 5 » on screen and in every export, and left out of colour classes. So that a masked
value cannot be recomputed by subtracting the others from a total of the same table, a
column with a single masked cell gets its next smallest value masked too (secondary
suppression).
"""

from __future__ import annotations

import pandas as pd

from observatoire import auth
from observatoire.settings import get_settings


def masking_active() -> bool:
    """True unless this session may see exact counts: resolved from the signed-in person's
    role on every call (observatoire/auth.py: an interne, or everyone with
    OBSERVATOIRE_INTERNAL_MODE=1), never from widget state or the address."""
    return not auth.sees_exact_counts()


def mask_label(threshold: int) -> str:
    return f"< {threshold}"


# A second count hidden so that no subtraction reveals the first one is not small itself:
# it is shown as « secret » (statistical secrecy), never as « < 5 », which would be false.
SECONDARY_LABEL = "secret"


def mask_texts(values: pd.Series, threshold: int) -> pd.Series:
    """What to show instead of each hidden count: « < 5 » for a small count, « secret » for
    the second count hidden to protect it; None where the count is shown."""
    numeric = pd.to_numeric(values, errors="coerce")
    primary = ((numeric > 0) & (numeric < threshold)).fillna(False).astype(bool)
    hidden_cells = small_mask(values, threshold)
    texts = pd.Series(None, index=values.index, dtype=object)
    texts[hidden_cells & primary] = mask_label(threshold)
    texts[hidden_cells & ~primary] = SECONDARY_LABEL
    return texts


def small_mask(values: pd.Series, threshold: int) -> pd.Series:
    """True where a count must be hidden: primary (0 < v < threshold) and secondary cells."""
    numeric = pd.to_numeric(values, errors="coerce")
    primary = (numeric > 0) & (numeric < threshold)
    mask = primary.fillna(False).astype(bool)
    if mask.sum() == 1:
        # Secondary suppression: hide the smallest other value as well.
        others = numeric[~mask & numeric.notna() & (numeric > 0)]
        if not others.empty:
            mask.loc[others.idxmin()] = True
    return mask


def mask_counts(
    frame: pd.DataFrame, columns: list[str], threshold: int | None = None
) -> pd.DataFrame:
    """A copy of the table with small counts of people replaced by « < N » (public mode).

    Masked columns become text; the untouched values keep their numbers as text-free numbers
    where nothing was masked.
    """
    if not masking_active():
        return frame
    threshold = threshold or get_settings().small_count_threshold
    out = frame.copy()
    for column in columns:
        texts = mask_texts(out[column], threshold)
        if texts.notna().any():
            out[column] = out[column].astype(object)
            out.loc[texts.notna(), column] = texts[texts.notna()]
    return out


def numeric_or_none(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column's numbers with masked cells as missing: for colour classes, which must not
    place a masked commune in a class."""
    return pd.to_numeric(frame[column], errors="coerce")


# Helpers for the pages (map, territory sheet) --------------------------------------------

DERIVED_LABEL = "masqué"  # a figure computed from a masked count (per 1 000 inhabitants, %)


def threshold() -> int:
    return get_settings().small_count_threshold


def current_label() -> str:
    """« < 5 » under the settings' threshold."""
    return mask_label(threshold())


def hidden(values: pd.Series) -> pd.Series:
    """Where counts of people must be hidden on this deployment: small_mask under the
    settings' threshold in public mode (with its secondary suppression), nowhere in internal
    mode."""
    if not masking_active():
        return pd.Series(False, index=values.index, dtype=bool)
    return small_mask(values, threshold())


def hidden_texts(values: pd.Series) -> pd.Series:
    """mask_texts under the settings (« < 5 », « secret » or None); all None in internal
    mode."""
    if not masking_active():
        return pd.Series(None, index=values.index, dtype=object)
    return mask_texts(values, threshold())


def is_small(value) -> bool:
    """A single count of people that must be hidden (public mode, 0 < value < threshold)."""
    if not masking_active() or value is None or pd.isna(value):
        return False
    return 0 < float(value) < threshold()


def mask_rows(frame: pd.DataFrame, column: str, rows: pd.Series) -> pd.DataFrame:
    """mask_counts on COLUMN restricted to ROWS (booleans): the other rows (money, posts)
    are not counts of people, stay as they are and play no part in the secondary
    suppression. Public mode only."""
    if not masking_active() or frame.empty:
        return frame
    texts = mask_texts(frame.loc[rows, column], threshold()).reindex(frame.index)
    if texts.isna().all():
        return frame
    out = frame.copy()
    out[column] = out[column].astype(object)
    out.loc[texts.notna(), column] = texts[texts.notna()]
    return out


def public_note(where: str = "") -> str | None:
    """The one sentence a public page shows to explain masked counts (None in internal
    mode). WHERE: what the page adds, such as how its map draws them."""
    if not masking_active():
        return None
    return (
        f"Petits effectifs masqués : les nombres de personnes inférieurs à {threshold()} "
        f"sont affichés « {current_label()} », à l'écran comme dans les exports, car de si "
        "petits nombres peuvent permettre de reconnaître les personnes ; quand un seul est "
        "masqué, un second l'est aussi, affiché « secret », pour qu'aucune soustraction ne "
        "le révèle" + where + "."
    )
