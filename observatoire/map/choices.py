"""The map's choices and what is mapped: the reader's choices and their URL form, the
mapped values (raw, per 1 000 inhabitants, % of the territory's share of a target), their
French units, classes and title, and the MapView that the figure, the table and the reading
share. Small counts of people are masked in prepare (by observatoire.disclosure), before
anything is drawn or tabulated: the view holds no masked number, only the flag `masked`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from observatoire import disclosure, fmt
from observatoire.classify import (
    DEFAULT_CLASSES,
    MAX_CLASSES,
    METHODS,
    MIN_CLASSES,
    Classes,
    classify,
    parse_thresholds,
)

LEVELS = {"commune": "Communes", "ept": "EPT"}
INDICATORS = {
    "quantite": "Quantités distribuées",
    "personnes": "Personnes touchées",
    "euros": "Euros engagés",
    "postes": "Postes de conseillers numériques",
    "objectif": "Avancement vers un objectif",
}
NORMALISATIONS = {
    "brut": "Nombre brut",
    "habitants": "Pour 1 000 habitants",
    "objectif": "% de la part de l'objectif",
}
NO_DATA = "pas de données"
# Which records make a target's « achieved »: a territory without any is « pas de données ».
TARGET_MEASURE = {
    "quantite": "quantite",
    "montant": "euros",
    "projets": "euros",
    "postes": "postes",
}
TARGET_FAMILY = ("programme_id", "indicator", "item", "public", "operator", "funder")


# The reader's choices ---------------------------------------------------------------------


@dataclass(frozen=True)
class MapChoices:
    """Everything the map page lets the reader choose; lives in the URL query string."""

    level: str = "commune"
    indicator: str = "personnes"
    key: str | None = None  # item (quantite), funder (euros) or target key (objectif)
    norm: str = "brut"
    method: str = "quantiles"
    classes: int = DEFAULT_CLASSES
    thresholds: str = ""  # manual thresholds as typed, « 100 ; 500 »

    QUERY_KEYS = {
        "level": "niveau",
        "indicator": "indicateur",
        "key": "detail",
        "norm": "normalisation",
        "method": "classement",
        "classes": "classes",
        "thresholds": "seuils",
    }

    @property
    def normalisations(self) -> list[str]:
        """The normalisations that make sense for the indicator."""
        return ["objectif"] if self.indicator == "objectif" else ["brut", "habitants"]

    def checked(self) -> MapChoices:
        """Unknown or inconsistent values fall back to their defaults."""
        default = MapChoices()
        level = self.level if self.level in LEVELS else default.level
        indicator = self.indicator if self.indicator in INDICATORS else default.indicator
        fixed = replace(self, level=level, indicator=indicator)
        norm = self.norm if self.norm in fixed.normalisations else fixed.normalisations[0]
        method = self.method if self.method in METHODS else default.method
        try:
            classes = min(max(int(self.classes), MIN_CLASSES), MAX_CLASSES)
        except (TypeError, ValueError):
            classes = default.classes
        key = self.key if indicator in ("quantite", "euros", "objectif") else None
        return replace(fixed, norm=norm, method=method, classes=classes, key=key or None)

    def to_query(self) -> dict[str, str]:
        """Only what differs from the defaults, so that links stay short."""
        default = asdict(MapChoices())
        return {
            self.QUERY_KEYS[name]: str(value)
            for name, value in asdict(self).items()
            if value != default[name] and value not in (None, "")
        }

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> MapChoices:
        values = {name: query[key] for name, key in cls.QUERY_KEYS.items() if query.get(key)}
        return cls(**values).checked()

    # The page's widgets hold these values under these session-state keys.
    KEY_WIDGETS = {"quantite": "m_item", "euros": "m_funder", "objectif": "m_target"}
    ALL = "tous"  # the « all items / all funders » option

    def widget_state(self) -> dict:
        state = {
            "m_level": self.level,
            "m_indicator": self.indicator,
            "m_norm": self.norm if self.norm != "objectif" else "brut",
            "m_method": self.method,
            "m_classes": self.classes,
            "m_thresholds": self.thresholds,
            "m_item": self.ALL,
            "m_funder": self.ALL,
        }
        if self.indicator in self.KEY_WIDGETS and self.key:
            state[self.KEY_WIDGETS[self.indicator]] = self.key
        return state

    @classmethod
    def from_widgets(cls, state: Mapping) -> MapChoices:
        indicator = state.get("m_indicator", "personnes")
        key = state.get(cls.KEY_WIDGETS[indicator]) if indicator in cls.KEY_WIDGETS else None
        return cls(
            level=state.get("m_level") or "commune",
            indicator=indicator,
            key=None if key == cls.ALL else key,
            norm="objectif" if indicator == "objectif" else state.get("m_norm", "brut"),
            method=state.get("m_method", "quantiles"),
            classes=state.get("m_classes", DEFAULT_CLASSES),
            thresholds=state.get("m_thresholds", ""),
        ).checked()


# Values -----------------------------------------------------------------------------------


def target_key(row: Mapping) -> str:
    """A short stable key for a target family, for the URL."""
    parts = "|".join("" if pd.isna(row.get(c)) else str(row.get(c)) for c in TARGET_FAMILY)
    return hashlib.sha1(parts.encode()).hexdigest()[:10]


def target_options(progress: pd.DataFrame) -> dict[str, str]:
    """Target key → « Programme – label (unit) » for the targets in a progress table."""
    if progress.empty:
        return {}
    families = progress.drop_duplicates(list(TARGET_FAMILY))
    return {
        target_key(row): f"{row['programme_name']} – {row['label']}"
        for _, row in families.iterrows()
    }


def progress_values(progress: pd.DataFrame, key: str, records: pd.DataFrame) -> pd.DataFrame:
    """The chosen target's rows as map values: value = achieved, target_share, share_rule.
    A territory without any record of the target's kind is « pas de données »."""
    keys = progress.apply(target_key, axis=1) if not progress.empty else pd.Series(dtype=str)
    rows = progress[keys == key]
    has_records = dict(zip(records["code"], records["records"] > 0, strict=True))
    frame = pd.DataFrame(
        {
            "code": rows["territory_code"],
            "name": rows["territory_name"],
            "ept_code": rows["ept_code"],
            "ept_name": rows["ept_name"],
            "population": rows["population"],
            "value": rows["achieved"].astype(float),
            "target_share": rows["target_share"].astype(float),
            "share_rule": rows["share_rule"],
            "has_demo": rows["has_demo"],
        }
    )
    frame.loc[~frame["code"].map(has_records).fillna(False).astype(bool), "value"] = np.nan
    return frame.reset_index(drop=True)


def normalise(values: pd.DataFrame, norm: str) -> pd.DataFrame:
    """Add `shown`, the mapped number: the value, per 1 000 inhabitants, or the ratio of
    the value to the territory's share of the target (0.82 for 82 %)."""
    frame = values.copy()
    if norm == "habitants":
        frame["shown"] = frame["value"] * 1000 / frame["population"]
    elif norm == "objectif":
        share = frame["target_share"].where(frame["target_share"] > 0)
        frame["shown"] = frame["value"] / share
    else:
        frame["shown"] = frame["value"]
    return frame


@dataclass(frozen=True)
class Units:
    """How to write the mapped numbers in French."""

    indicator: str
    noun: str  # « ordinateurs », « personnes touchées », « postes », « € »
    singular: str = ""  # « ordinateur » (French: 0 and 1 take the singular)
    decimals: int = 1  # of the per-1 000 figures and the legend bounds, set by the data

    def raw(self, value: float) -> str:
        if pd.isna(value):
            return NO_DATA
        if self.noun == "€":
            return fmt.money(value)
        noun = self.singular if abs(value) < 2 and self.singular else self.noun
        return f"{fmt.number(value)} {noun}"

    def shown(self, value: float, norm: str) -> str:
        if pd.isna(value):
            return NO_DATA
        if norm == "habitants":
            return f"{fmt.number(value, self.decimals)} {self.noun} pour 1 000 habitants"
        if norm == "objectif":
            return f"{fmt.percent(value)} de sa part de l'objectif"
        return self.raw(value)

    def bound(self, value: float, norm: str) -> str:
        """A legend bound: short, French."""
        if norm == "objectif":
            return fmt.percent(value)
        if norm == "habitants":
            return fmt.number(value, self.decimals)
        return fmt.money(value) if self.noun == "€" else fmt.number(value)

    def fitted(self, classes: Classes, norm: str) -> Units:
        """Enough decimals for the per-1 000 figures that the class bounds differ."""
        if norm != "habitants":
            return self
        return replace(self, decimals=_decimals_for(classes.bounds))


def _decimals_for(bounds: tuple[float, ...]) -> int:
    steps = [b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
    if not steps:
        return 1
    return int(min(3, max(1, math.ceil(-math.log10(min(steps))) + 1)))


SINGULARS = {
    "personnes touchées": "personne touchée",
    "postes": "poste",
    "équipements": "équipement",
}


def units_for(choices: MapChoices, target_unit: str | None = None) -> Units:
    nouns = {
        "personnes": "personnes touchées",
        "euros": "€",
        "postes": "postes",
        "objectif": target_unit or "",
    }
    if choices.indicator == "quantite" and choices.key:
        noun = fmt.item_label(choices.key).lower().replace("sim", "SIM")
        singular = fmt.ITEM_LABELS_SINGULAR.get(choices.key, noun)
    else:
        noun = "équipements" if choices.indicator == "quantite" else nouns[choices.indicator]
        singular = SINGULARS.get(noun, "")
    return Units(choices.indicator, noun, singular)


def indicator_title(choices: MapChoices, detail: str | None = None) -> str:
    """« Ordinateurs distribués, pour 1 000 habitants, par commune »."""
    if choices.indicator == "quantite":
        what = (
            f"{fmt.item_label(choices.key)} distribués"
            if choices.key
            else ("Équipements distribués")
        )
        if choices.key in ("carte_sim", "recharge", "tablette"):
            what = f"{fmt.item_label(choices.key)} distribuées"
        if choices.key == "accompagnement":
            what = "Accompagnements réalisés"
    elif choices.indicator == "euros":
        what = "Euros engagés" + (f" par {detail or choices.key}" if choices.key else "")
    elif choices.indicator == "objectif":
        what = f"Avancement : {detail}" if detail else "Avancement vers un objectif"
    else:
        what = INDICATORS[choices.indicator]
    norm = {"brut": "", "habitants": ", pour 1 000 habitants", "objectif": ""}[choices.norm]
    where = ", par commune" if choices.level == "commune" else ", par EPT"
    return f"{what}{norm}{where}"


def classes_for(frame: pd.DataFrame, choices: MapChoices) -> Classes:
    thresholds: tuple[float, ...] = ()
    if choices.method == "manuel":
        thresholds = parse_thresholds(choices.thresholds)
        if choices.norm == "objectif":  # typed as percentages
            thresholds = tuple(t / 100 for t in thresholds)
    return classify(
        frame["shown"].tolist(),
        choices.method,
        choices.classes,
        thresholds,
        masked=frame["masked"].tolist() if "masked" in frame else (),
    )


@dataclass(frozen=True)
class MapView:
    """What the figure, the table and the sentence need, computed once."""

    choices: MapChoices
    # code, name, ept_name, population, value, shown, masked (+ target columns); value and
    # shown are NaN where masked.
    table: pd.DataFrame
    classes: Classes
    units: Units
    title: str
    people: bool = False  # the values count people: small counts are masked in public mode
    mask_label: str = "< 5"

    @property
    def masked(self) -> pd.Series:
        return self.table["masked"]


def prepare(
    values: pd.DataFrame,
    choices: MapChoices,
    *,
    target_label: str | None = None,
    target_unit: str | None = None,
    target_indicator: str | None = None,
) -> MapView:
    """The view of VALUES under CHOICES. In public mode, counts of people below the threshold
    (and a second one when a single one is) are masked here, once, by
    disclosure.mask_map_values: their value and whatever is computed from it (per 1 000
    inhabitants, % of the target) are dropped."""
    table = normalise(values, choices.norm).reset_index(drop=True)
    people = disclosure.counts_people(choices.indicator, target_indicator)
    table, mask_label = disclosure.mask_map_values(table, people)
    classes = classes_for(table, choices)
    units = units_for(choices, target_unit).fitted(classes, choices.norm)
    return MapView(
        choices,
        table,
        classes,
        units,
        indicator_title(choices, target_label),
        people=people,
        mask_label=mask_label,
    )
