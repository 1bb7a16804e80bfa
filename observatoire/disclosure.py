"""Disclosure control: small counts of people can identify them.

In public mode (the default), counts of people per territory below the threshold
(OBSERVATOIRE_SMALL_COUNT_THRESHOLD, default 5) are replaced by « < 5 » on screen and in every
export, and left out of colour classes. So that a masked value cannot be recomputed by
subtracting the others from a total of the same table, a column with a single masked cell
gets its next smallest value masked too (secondary suppression).
"""

from __future__ import annotations

import pandas as pd

from observatoire.settings import get_settings


def masking_active() -> bool:
    return not get_settings().internal_mode


def mask_label(threshold: int) -> str:
    return f"< {threshold}"


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
        mask = small_mask(out[column], threshold)
        if mask.any():
            out[column] = out[column].astype(object)
            out.loc[mask, column] = mask_label(threshold)
    return out


def numeric_or_none(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column's numbers with masked cells as missing: for colour classes, which must not
    place a masked commune in a class."""
    return pd.to_numeric(frame[column], errors="coerce")
