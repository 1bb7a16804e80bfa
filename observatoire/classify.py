"""Classification of map values into classes: quantiles, natural breaks (Jenks), equal
intervals or manual thresholds. Pure functions, no Streamlit, no Plotly.

Classes are closed on the right: class i holds bounds[i] < v ≤ bounds[i + 1], and the
first class also holds its lower bound. Missing values (no data) belong to no class:
they are counted apart, never as zero. Masked values (small counts of people hidden by
disclosure control) belong to no class either, are counted apart from the missing ones and
play no part in the bounds, so that no bound can betray them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import jenkspy
import numpy as np

METHODS = {
    "quantiles": "Quantiles (effectifs égaux)",
    "jenks": "Seuils naturels (Jenks)",
    "egal": "Intervalles égaux",
    "manuel": "Seuils manuels",
}
DEFAULT_METHOD = "quantiles"
DEFAULT_CLASSES = 5
MIN_CLASSES, MAX_CLASSES = 2, 7
NO_DATA, MASKED = -1, -2  # the « class » of a missing value and of a masked one
# A default classification is balanced when no class holds more than this share of the
# classed values (twice the share of k = 5 equal classes); otherwise the next method of
# _FALLBACKS that is balanced is used instead.
MAX_CLASS_SHARE = 0.4
# With fewer classed values (4 EPTs, a handful of communes) two in one class flatten nothing.
MIN_VALUES_TO_BALANCE = 10
_FALLBACKS = ("jenks", "quantiles")


@dataclass(frozen=True)
class Classes:
    method: str
    bounds: tuple[float, ...]  # ascending, one more than the number of classes
    index: tuple[int, ...]  # class of each input value, NO_DATA (-1) or MASKED (-2)
    missing: int  # number of missing values (masked ones apart)
    masked: int = 0  # number of masked values
    # Why the classes are not those of the method asked for (a default one that would have
    # put most territories in one class), in French; "" otherwise.
    note: str = ""

    @property
    def count(self) -> int:
        return max(len(self.bounds) - 1, 0)

    @property
    def counts(self) -> list[int]:
        return [sum(1 for i in self.index if i == c) for c in range(self.count)]

    def labels(self, formatter: Callable[[float], str]) -> list[str]:
        """« 1 200 à 3 400 » per class, bounds formatted by FORMATTER."""
        return [
            formatter(lo) if lo == hi else f"{formatter(lo)} à {formatter(hi)}"
            for lo, hi in zip(self.bounds[:-1], self.bounds[1:], strict=True)
        ]


def classify(
    values: Sequence[float | None],
    method: str = DEFAULT_METHOD,
    k: int = DEFAULT_CLASSES,
    thresholds: Sequence[float] = (),
    masked: Sequence[bool] = (),
    scale: tuple[float, float] | None = None,
    balanced: bool = False,
) -> Classes:
    """Class bounds and the class of every value (None or NaN: missing). MASKED: True for
    the values hidden by disclosure control (whatever they hold), left out of every class.
    SCALE: the (min, max) of a score's own scale (0–10): equal intervals then cut the scale,
    not the range of the values, so that the classes mean the same on every map.
    BALANCED (a default method, not one the reader chose): when METHOD would put more than
    MAX_CLASS_SHARE of the values in one class, natural breaks or else quantiles are used
    instead, whichever is balanced first (the most balanced of them otherwise), and the
    result's note says so."""
    result = _classify(values, method, k, thresholds, masked, scale)
    if not balanced or method == "manuel" or _is_balanced(result):
        return result
    tried = [result] + [
        _classify(values, other, k, thresholds, masked, scale)
        for other in _FALLBACKS
        if other != method
    ]
    chosen = next((c for c in tried[1:] if _is_balanced(c)), None)
    chosen = chosen or min(tried, key=_largest_share)
    if chosen is result:
        return result
    classed = sum(result.counts)
    note = (
        f"Classes : {METHODS[chosen.method].lower()}, car {METHODS[method].lower()} "
        f"mettaient {max(result.counts)} valeurs sur {classed} dans une même classe."
    )
    return replace(chosen, note=note)


def _largest_share(classes: Classes) -> float:
    classed = sum(classes.counts)
    return max(classes.counts) / classed if classed else 0.0


def _is_balanced(classes: Classes) -> bool:
    """No class holds more than MAX_CLASS_SHARE of the classed values (too few values to
    matter: left as they are)."""
    if sum(classes.counts) < MIN_VALUES_TO_BALANCE:
        return True
    return _largest_share(classes) <= MAX_CLASS_SHARE


def _classify(values, method, k, thresholds, masked, scale) -> Classes:
    if method not in METHODS:
        raise ValueError(f"unknown classification method {method!r}")
    array = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    hidden = np.zeros(array.size, dtype=bool)
    if len(masked):
        hidden = np.asarray(masked, dtype=bool)
        if hidden.size != array.size:
            raise ValueError("masked must have one flag per value")
        array[hidden] = np.nan
    present = array[~np.isnan(array)]
    missing = int(np.isnan(array).sum() - hidden.sum())

    def klass(value: float, is_hidden: bool, bounds: np.ndarray | None) -> int:
        if is_hidden:
            return MASKED
        if np.isnan(value) or bounds is None:
            return NO_DATA
        return int(np.searchsorted(bounds[1:-1], value, side="left"))

    if present.size == 0:
        index = tuple(klass(v, h, None) for v, h in zip(array, hidden, strict=True))
        return Classes(method, (), index, missing, int(hidden.sum()))
    k = int(min(max(k, MIN_CLASSES), MAX_CLASSES))
    if method == "egal" and scale is not None:
        low, high = min(scale[0], present.min()), max(scale[1], present.max())
        bounds = np.linspace(low, high, k + 1)
    else:
        bounds = _bounds(present, method, k, thresholds)
    index = tuple(klass(v, h, bounds) for v, h in zip(array, hidden, strict=True))
    return Classes(method, tuple(float(b) for b in bounds), index, missing, int(hidden.sum()))


def _bounds(present: np.ndarray, method: str, k: int, thresholds: Sequence[float]) -> np.ndarray:
    low, high = float(present.min()), float(present.max())
    distinct = np.unique(present)
    if method == "manuel":
        cuts = sorted({float(t) for t in thresholds})
        if not cuts:
            return np.array([low, high])
        return np.unique([min(low, cuts[0]), *cuts, max(high, cuts[-1])])
    if distinct.size == 1:
        return np.array([low, high])
    if method == "quantiles":
        bounds = np.quantile(present, np.linspace(0, 1, k + 1))
    elif method == "egal":
        bounds = np.linspace(low, high, k + 1)
    else:  # jenks: one class per distinct value when there are too few of them
        if distinct.size <= k:
            return _distinct_value_bounds(distinct)
        bounds = np.array(jenkspy.jenks_breaks(present.tolist(), n_classes=k))
    return np.unique(bounds)


def _distinct_value_bounds(distinct: np.ndarray) -> np.ndarray:
    """Bounds that put each distinct value in its own class: (v[i-1], v[i]]."""
    return np.concatenate([[distinct[0]], distinct])


def parse_thresholds(text: str) -> tuple[float, ...]:
    """« 100 ; 1 000 ; 2 500,5 » → (100.0, 1000.0, 2500.5). French or plain notation,
    separated by semicolons; raises ValueError with a French message."""
    values = []
    for part in text.split(";"):
        cleaned = part.strip().replace("\u00a0", "").replace(" ", "").replace("%", "")
        if not cleaned:
            continue
        try:
            values.append(float(cleaned.replace(",", ".")))
        except ValueError as exc:
            raise ValueError(
                f"Seuil illisible : « {part.strip()} ». Séparez les seuils par des "
                "points-virgules, par exemple « 100 ; 500 ; 1 000 »."
            ) from exc
    return tuple(sorted(set(values)))
