"""Disclosure control: small counts of people can identify them. Every masking rule and
every masking helper that the pages and the exports call lives here.

For a lecteur (anyone but the internes: see observatoire/auth.py and audience.py), counts
of people per territory below the threshold (OBSERVATOIRE_SMALL_COUNT_THRESHOLD, default 5)
are replaced by « < 5 » on screen and in every export, and left out of colour classes. So that
a masked value cannot be recomputed by subtracting the others from a total of the same table, a
column with a single masked cell gets its next smallest value masked too (secondary
suppression). No Streamlit and no figure here: the charts with masked counts are drawn by
observatoire/charts/masked.py.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from core.settings import get_settings
from observatoire import audience, fmt


def masking_active() -> bool:
    """True unless this run may see exact counts: set once per run by the dashboard from the
    signed-in person's role (observatoire/audience.py: an interne, or everyone with
    OBSERVATOIRE_INTERNAL_MODE=1), never from widget state or the address."""
    return not audience.exact_counts()


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


# What counts people ----------------------------------------------------------------------

# Map indicators that count people (or items handed to people): small counts are masked.
PEOPLE_INDICATORS = ("personnes", "quantite")
# Map indicators that never count people: money, posts, published indicators of need (scores,
# rates and counts already published by their producer — INSEE, La MedNum, ARCEP — under
# their own statistical secrecy) and places of digital mediation (places, not people).
NOT_PEOPLE_INDICATORS = ("euros", "postes", "besoin", "lieux")
# Key figures that count people (or items handed to people): masked when small.
PEOPLE_FIGURES = ("items_distributed", "people_reached")


def counts_people(indicator: str, target_indicator: str | None = None) -> bool:
    """Whether a map INDICATOR counts people or items handed to people (not euros, not
    posts); progress towards a target (« objectif ») counts people when the target counts
    items (TARGET_INDICATOR « quantite »). Published need-side indicators and places of
    digital mediation are not counts of people (NOT_PEOPLE_INDICATORS): never masked."""
    if indicator in NOT_PEOPLE_INDICATORS:
        return False
    if indicator == "objectif":
        return target_indicator == "quantite"
    return indicator in PEOPLE_INDICATORS


# Key figures -------------------------------------------------------------------------------


def figure_masked(key: str, value) -> bool:
    """Whether the key figure KEY (warehouse.key_figures) is a small count of people."""
    return key in PEOPLE_FIGURES and is_small(value)


def figure_text(figures: Mapping, key: str) -> str:
    """A key figure in French, « < 5 » when it is a small count of people (public mode)."""
    value = figures.get(key)
    if figure_masked(key, value):
        return current_label()
    return fmt.money(value) if key == "euros_committed" else fmt.number(value)


def mask_figure(key: str, value, rate):
    """(value, rate) of the key figure KEY and a figure computed from it (per 1 000
    inhabitants): « < 5 » and « masqué » when it is a small count of people."""
    if figure_masked(key, value):
        return current_label(), DERIVED_LABEL
    return value, rate


def public_records(records: pd.DataFrame) -> pd.DataFrame:
    """A territory's records with the small quantities of distributions (items handed to
    people) masked in public mode; money and posts are not counts of people and stay exact."""
    return mask_rows(records, "Quantité", records["Type"] == "Distribution")


# The map -----------------------------------------------------------------------------------

MASKED_NOTE = "effectif masqué"  # beside the label of a masked territory


def mask_map_values(table: pd.DataFrame, people: bool) -> tuple[pd.DataFrame, str]:
    """TABLE (value, shown) with the columns `masked` and `mask_text` (« < 5 », « secret »
    or None) and, where masked, value and shown dropped (NaN) — when its values count PEOPLE,
    in public mode; and the legend's words for every masked territory: « < 5 », or « < 5 ou
    secret » when a second count is hidden to protect a small one."""
    table["masked"] = hidden(table["value"]) if people else False
    table["mask_text"] = hidden_texts(table["value"]) if people else None
    table.loc[table["masked"], ["value", "shown"]] = np.nan
    label = " ou ".join(
        text
        for text in (current_label(), SECONDARY_LABEL)
        if people and (table["mask_text"] == text).any()
    )
    return table, label or current_label()


def labelled(values: pd.Series, masked: pd.Series, label: str | pd.Series) -> np.ndarray:
    """VALUES with LABEL (text, or one text per row) where MASKED; numbers stay numbers when
    nothing is."""
    if not masked.any():
        return values.to_numpy()
    out = values.astype(object).to_numpy(copy=True)
    where = masked.to_numpy(dtype=bool)
    out[where] = label.to_numpy()[where] if isinstance(label, pd.Series) else label
    return out


# Charts of counts of people ----------------------------------------------------------------


def mask_people(
    frame: pd.DataFrame, column: str, by: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(for the chart, for its data export) of a chart of counts of people: small counts
    (and a second one when a single one is, within each BY group) are NaN for the chart, so
    that no bar betrays them, and « < 5 » in the export. Unchanged in internal mode."""
    if frame.empty:
        return frame, frame
    groups = [rows for _, rows in frame.groupby(by, sort=False)] if by else [frame]
    texts = pd.concat([hidden_texts(rows[column]) for rows in groups])
    texts = texts.reindex(frame.index)
    masked = texts.notna()
    if not masked.any():
        return frame, frame
    chart = frame.copy()
    chart[column] = chart[column].astype(float).mask(masked)
    export = frame.copy()
    export[column] = export[column].astype(object)
    export.loc[masked, column] = texts[masked]
    return chart, export


def mask_progress(progress: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(for the chart, for its export) of target progress rows (targets, or a target's
    territories): where the achieved count of a target that counts people is small, it and
    what derives from it (progress, what remains, the monthly pace) are dropped from the
    chart (written « masqué ») and read « < 5 » / « masqué » in the export."""
    small = (progress["indicator"] == "quantite") & progress["achieved"].map(is_small)
    if not small.any():
        return progress, progress
    derived = [c for c in ("progress", "remaining", "monthly_pace") if c in progress.columns]
    chart = progress.copy()
    chart.loc[small, ["achieved", *derived]] = np.nan
    export = progress.copy().astype({c: object for c in ("achieved", *derived)})
    export.loc[small, "achieved"] = current_label()
    export.loc[small, derived] = DERIVED_LABEL
    return chart, export


def reading_of_masked(reading, frame: pd.DataFrame, column: str) -> str:
    """READING(frame) on the values left visible by masking, saying how many are masked."""
    visible = frame.dropna(subset=[column])
    count = len(frame) - len(visible)
    label = current_label()
    if not count:
        return reading(frame)
    if visible.empty:
        return f"Toutes les valeurs sont de petits effectifs masqués ({label})."
    masked = fmt.plural(count, "valeur masquée", "valeurs masquées")
    return f"{reading(visible).rstrip('.')} ; {masked} ({label})."


# Protected tables (etl/protect.py → public_counts, read by observatoire/protected.py) --------
#
# For a lecteur, every count of people comes from the protected tables, with a status per
# figure: publie (shown), primaire (a small count), secondaire (hidden to protect one),
# masque (a sum that would include a hidden cell). The frames that carry counts of people
# say where they come from in frame.attrs["counts"]: "protected" (from public_counts) or
# "exact" (from the records: internes only); exports refuse an "exact" frame for anyone
# else (check_exportable).

PUBLISHED, PRIMARY, SECONDARY, MASKED_SUM = "publie", "primaire", "secondaire", "masque"
COUNTS = "counts"  # the frame.attrs key


class UnprotectedExport(RuntimeError):
    """An export was asked to write exact counts of people for a reader who is not interne."""


def mark(frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Say where FRAME's counts of people come from: "protected" or "exact"."""
    frame.attrs[COUNTS] = origin
    return frame


def check_exportable(frame: pd.DataFrame) -> None:
    """Refuse to export exact counts of people to a reader who may not see them."""
    if frame.attrs.get(COUNTS) == "exact" and masking_active():
        raise UnprotectedExport(
            "Export refusé : ces chiffres de personnes ne viennent pas des tableaux protégés "
            "(secret des petits effectifs)."
        )


def status_text(status: str | None, real_only: bool = True) -> str | None:
    """What to show instead of a protected figure: « < 5 » for a small count (when the figure
    holds real records only: with demonstration records added, the shown total is no longer
    small and « secret » is said), « secret » for any other hidden figure, None when shown."""
    if status is None or status == PUBLISHED or (isinstance(status, float) and np.isnan(status)):
        return None
    if status == PRIMARY and real_only:
        return current_label()
    return SECONDARY_LABEL


def status_texts(statuses: pd.Series, real_only: bool = True) -> pd.Series:
    return statuses.map(lambda s: status_text(s, real_only)).astype(object)


def mask_by_status(table: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """mask_map_values for figures read from the protected tables: TABLE (value, shown,
    mask_text from status_texts) gets `masked` where a figure is hidden, its value and
    shown dropped there; and the legend's words (« < 5 », « secret » or both)."""
    table["masked"] = table["mask_text"].notna()
    table.loc[table["masked"], ["value", "shown"]] = np.nan
    texts = set(table["mask_text"].dropna())
    label = " ou ".join(t for t in (current_label(), SECONDARY_LABEL) if t in texts)
    return table, label or current_label()


def protected_note(where: str = "") -> str | None:
    """public_note for figures read from the protected tables (None for an interne)."""
    if not masking_active():
        return None
    return (
        f"Petits effectifs masqués : les nombres de personnes inférieurs à {threshold()} "
        f"sont affichés « {current_label()} », à l'écran comme dans les exports ; d'autres "
        "sont affichés « secret » pour qu'aucune soustraction entre chiffres publiés (deux "
        "communes moins une, un EPT moins ses autres communes, deux périodes) ne les révèle ; "
        "une somme qui en contient un, et ce qui en est calculé (pour 1 000 habitants, %), "
        f"est « {DERIVED_LABEL} »" + where + "."
    )
