"""The map's choices and what is mapped: the reader's choices and their URL form, the
mapped values (raw, per 1 000 inhabitants, % of the territory's share of a target), their
French units, classes and title, and the MapView that the figure, the table and the reading
share. Counts of people hidden by the protected tables are masked in prepare (by
observatoire.disclosure), before anything is drawn or tabulated: the view holds no masked
number, only the flag `masked`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

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
from observatoire.url_state import (
    FLAG,
    INTEGER,
    LEVELS,
    TEXT_LIST,
    UrlState,
    level_param,
    param,
)

INDICATORS = {
    "quantite": "Quantités distribuées",
    "personnes": "Personnes touchées",
    "euros": "Euros engagés",
    "postes": "Postes de conseillers numériques",
    "objectif": "Avancement vers un objectif",
    "besoin": "Fragilité et besoins (indicateurs publiés)",
    "lieux": "Lieux de médiation numérique",
}
NORMALISATIONS = {
    "brut": "Nombre brut",
    "habitants": "Pour 1 000 habitants",
    "dix_mille": "Pour 10 000 habitants",
    "objectif": "% de la part de l'objectif",
}
NEED_DEFAULT = "ifn"  # the need-side indicator shown when none is chosen
NEED_GROUP = "Fragilité numérique"  # the IFN and its sub-scores
DIRECTIONS = {"fragile_haut": "plus haut = plus fragile", "fragile_bas": "plus bas = plus fragile"}
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
class NeedIndicator:
    """One need-side indicator of the catalogue (table `indicators`, warehouse.need_indicators)."""

    id: str
    label: str
    unit: str = "score"  # 'score' | '%' | 'nombre'
    measure: str = "score"  # 'score' | 'taux' | 'effectif': only an effectif adds up
    direction: str = "neutre"  # 'fragile_haut' | 'fragile_bas' | 'neutre'
    grp: str = "Autres indicateurs"
    source: str = ""
    vintage: str | None = None  # « 2021-2023 »; else the years of the values
    scale: tuple[float, float] | None = None  # (0, 10) for a score, (0, 100) for a %

    @property
    def per_inhabitant(self) -> bool:
        """Only a count (effectif) may be shown per 1 000 inhabitants: a score or a rate
        already is a ratio."""
        return self.measure == "effectif"

    @property
    def is_score(self) -> bool:
        return self.measure == "score" and self.scale is not None

    @property
    def direction_text(self) -> str:
        """« plus haut = plus fragile », or "" for an indicator without a fragile end."""
        return DIRECTIONS.get(self.direction, "")

    @property
    def year_text(self) -> str:
        return self.vintage or ""

    def source_text(self) -> str:
        """« La MedNum – Indice de fragilité numérique, 2021-2023 »."""
        return ", ".join(part for part in (self.source, self.year_text) if part)


def need_catalogue(frame: pd.DataFrame) -> dict[str, NeedIndicator]:
    """id → NeedIndicator from warehouse.need_indicators (in its order: IFN first)."""
    out = {}
    for row in frame.itertuples(index=False):
        scale = None
        if not pd.isna(row.scale_min) and not pd.isna(row.scale_max):
            scale = (float(row.scale_min), float(row.scale_max))
        vintage = row.vintage if isinstance(row.vintage, str) and row.vintage else None
        if vintage is None and not pd.isna(row.year_min):
            years = {int(row.year_min), int(row.year_max)}
            vintage = "-".join(str(y) for y in sorted(years))
        out[row.id] = NeedIndicator(
            id=row.id,
            label=row.label,
            unit=row.unit,
            measure=row.measure,
            direction=row.direction,
            grp=row.grp,
            source=row.source,
            vintage=vintage,
            scale=scale,
        )
    return out


def need_groups(catalogue: Mapping[str, NeedIndicator]) -> dict[str, list[str]]:
    """Group → indicator ids, « Fragilité numérique » first (the chooser's sections)."""
    groups: dict[str, list[str]] = {}
    for indicator in catalogue.values():
        groups.setdefault(indicator.grp, []).append(indicator.id)
    return dict(sorted(groups.items(), key=lambda g: (g[0] != NEED_GROUP, g[0])))


def _split(value) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if v)
    return tuple(v for v in str(value or "").split(",") if v)


@dataclass(frozen=True)
class MapChoices(UrlState):
    """Everything the map page lets the reader choose; lives in the URL query string.

    norm and method "" mean « the indicator's default » (per 10 000 inhabitants for the
    places, equal intervals on its own scale for a score), so that links stay short and an
    old link keeps its meaning."""

    level: str = level_param("m_level")
    indicator: str = param("indicateur", "personnes", widget="m_indicator")
    # item (quantite), funder (euros), target key (objectif), need id: the indicator's widget
    key: str | None = param(
        "detail", None, omit=lambda c: NEED_DEFAULT if c.indicator == "besoin" else None
    )
    norm: str = param("normalisation", "", widget="m_norm", omit=lambda c: c.normalisations[0])
    method: str = param("classement", "", widget="m_method", omit=lambda c: c.default_method)
    classes: int = param("classes", DEFAULT_CLASSES, kind=INTEGER, widget="m_classes")
    thresholds: str = param("seuils", "", widget="m_thresholds")  # as typed, « 100 ; 500 »
    # The places of digital mediation drawn over the map, their national programmes and
    # services (all: empty).
    places: bool = param("lieux", False, kind=FLAG, widget="m_places")
    place_programmes: tuple[str, ...] = param(
        "lieux_programmes", (), kind=TEXT_LIST, widget="m_place_programmes"
    )
    place_services: tuple[str, ...] = param(
        "lieux_services", (), kind=TEXT_LIST, widget="m_place_services"
    )
    names: bool = param("noms", True, kind=FLAG, widget="m_names")  # commune names on the map
    need: NeedIndicator | None = field(default=None, compare=False, repr=False)

    @property
    def normalisations(self) -> list[str]:
        """The normalisations that make sense for the indicator, its default first: never
        « pour 1 000 habitants » for a score or a rate."""
        if self.indicator == "objectif":
            return ["objectif"]
        if self.indicator == "lieux":
            return ["dix_mille", "brut"]
        if self.indicator == "besoin" and not (self.need and self.need.per_inhabitant):
            return ["brut"]
        return ["brut", "habitants"]

    @property
    def scale(self) -> tuple[float, float] | None:
        """The own scale of a mapped score (0–10), else None."""
        return self.need.scale if self.indicator == "besoin" and self.need else None

    @property
    def default_method(self) -> str:
        """Equal intervals on its own scale for a score; quantiles otherwise."""
        return "egal" if self.scale is not None else "quantiles"

    def checked(self, catalogue: Mapping[str, NeedIndicator] | None = None) -> MapChoices:
        """Unknown or inconsistent values fall back to their defaults. CATALOGUE: the
        need-side indicators the warehouse holds (None: keep the key as it is)."""
        default = MapChoices()
        level = self.level if self.level in LEVELS else default.level
        indicator = self.indicator if self.indicator in INDICATORS else default.indicator
        key = self.key if indicator in ("quantite", "euros", "objectif", "besoin") else None
        need = self.need
        if indicator == "besoin":
            if catalogue is not None:
                if not catalogue:
                    indicator, key, need = default.indicator, None, None
                else:
                    key = (
                        key
                        if key in catalogue
                        else next(iter(k for k in (NEED_DEFAULT, *catalogue) if k in catalogue))
                    )
                    need = catalogue[key]
            else:
                key = key or NEED_DEFAULT
        else:
            need = None
        fixed = replace(self, level=level, indicator=indicator, key=key or None, need=need)
        norm = self.norm if self.norm in fixed.normalisations else fixed.normalisations[0]
        method = self.method if self.method in METHODS else fixed.default_method
        try:
            classes = min(max(int(self.classes), MIN_CLASSES), MAX_CLASSES)
        except (TypeError, ValueError):
            classes = default.classes
        return replace(
            fixed,
            norm=norm,
            method=method,
            classes=classes,
            places=bool(self.places),
            place_programmes=_split(self.place_programmes),
            place_services=_split(self.place_services),
            names=bool(self.names),
        )

    # The widget of the key, by indicator.
    KEY_WIDGETS = {
        "quantite": "m_item",
        "euros": "m_funder",
        "objectif": "m_target",
        "besoin": "m_need",
    }
    ALL = "tous"  # the « all items / all funders » option

    def widget_state(self) -> dict:
        state = super().widget_state() | {"m_item": self.ALL, "m_funder": self.ALL}
        if self.indicator in self.KEY_WIDGETS and self.key:
            state[self.KEY_WIDGETS[self.indicator]] = self.key
        return state

    @classmethod
    def from_widgets(
        cls, state: Mapping, catalogue: Mapping[str, NeedIndicator] | None = None
    ) -> MapChoices:
        values = cls.widget_values(state)
        indicator = values.get("indicator", "personnes")
        key = state.get(cls.KEY_WIDGETS[indicator]) if indicator in cls.KEY_WIDGETS else None
        if indicator == "objectif":
            values["norm"] = "objectif"
        return cls(**values, key=None if key == cls.ALL else key).checked(catalogue)


# Values -----------------------------------------------------------------------------------


def target_key(row: Mapping) -> str:
    """A short stable key for a target family, for the URL."""
    parts = "|".join("" if pd.isna(row.get(c)) else str(row.get(c)) for c in TARGET_FAMILY)
    return hashlib.sha1(parts.encode()).hexdigest()[:10]


def target_options(progress: pd.DataFrame) -> dict[str, str]:
    """Target key → « Programme – label (unit) » for the targets in a progress table."""
    if "departement_scale" in progress:
        # An action whose records all went to the whole département has no territorial
        # progress: its map would read 0 % everywhere.
        progress = progress[~progress["departement_scale"].fillna(False).astype(bool)]
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
    elif norm == "dix_mille":
        frame["shown"] = frame["value"] * 10_000 / frame["population"]
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
    kind: str = "count"  # 'count', 'score' (« 6,3 sur 10 ») or 'percent' (« 12,4 % »)
    scale_max: float = 10.0

    def raw(self, value: float) -> str:
        if pd.isna(value):
            return NO_DATA
        if self.kind == "score":
            return f"{fmt.number(value, 1)} sur {fmt.number(self.scale_max)}"
        if self.kind == "percent":
            return f"{fmt.number(value, 1)} %"
        if self.noun == "€":
            return fmt.money(value)
        noun = self.singular if abs(value) < 2 and self.singular else self.noun
        return f"{fmt.number(value)} {noun}"

    def shown(self, value: float, norm: str) -> str:
        if pd.isna(value):
            return NO_DATA
        if norm == "habitants":
            return f"{fmt.number(value, self.decimals)} {self.noun} pour 1 000 habitants"
        if norm == "dix_mille":
            return f"{fmt.number(value, self.decimals)} {self.noun} pour 10 000 habitants"
        if norm == "objectif":
            return f"{fmt.percent(value)} de sa part de l'objectif"
        return self.raw(value)

    def bound(self, value: float, norm: str) -> str:
        """A legend bound: short, French."""
        if norm == "objectif":
            return fmt.percent(value)
        if norm in ("habitants", "dix_mille") or self.kind != "count":
            return fmt.number(value, self.decimals)
        return fmt.money(value) if self.noun == "€" else fmt.number(value)

    def fitted(self, classes: Classes, norm: str) -> Units:
        """Enough decimals for the per-1 000 figures (and scores, rates) that the class
        bounds differ."""
        if norm not in ("habitants", "dix_mille") and self.kind == "count":
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
    if choices.indicator == "lieux":
        return Units("lieux", "lieux", "lieu")
    if choices.indicator == "besoin":
        need = choices.need
        if need is not None and need.measure == "score":
            top = need.scale[1] if need.scale else 10.0
            return Units("besoin", "", "", kind="score", scale_max=top)
        if need is not None and need.measure == "taux":
            return Units("besoin", "", "", kind="percent")
        return Units("besoin", (need.label if need else "").lower(), "")
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
    elif choices.indicator == "besoin":
        what = choices.need.label if choices.need else (detail or "Indicateur")
    elif choices.indicator == "lieux":
        what = "Lieux de médiation numérique"
        if choices.place_programmes:
            what += f" ({', '.join(choices.place_programmes)})"
    else:
        what = INDICATORS[choices.indicator]
    norm = {
        "brut": "",
        "habitants": ", pour 1 000 habitants",
        "dix_mille": ", pour 10 000 habitants",
        "objectif": "",
    }[choices.norm]
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
        scale=choices.scale,
        # A default method gives way to one that discriminates (classify.MAX_CLASS_SHARE).
        balanced=choices.method == choices.default_method,
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
    # Where its counts of people come from: "protected" (the protected tables), "exact"
    # (the records: internes only) or None (no count of people); exports check it.
    counts: str | None = None
    # The whole months protected counts cover (protected.months_note), None otherwise.
    months: tuple | None = None

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
    """The view of VALUES under CHOICES. Counts of people read from the protected tables
    (protected.map_values: a lecteur's) carry their statuses: the hidden ones are masked
    here, once, by disclosure.mask_by_status; their value and whatever is computed from it
    (per 1 000 inhabitants, % of the target) are dropped. Other values are exact (an
    interne's, or not counts of people)."""
    table = normalise(values, choices.norm).reset_index(drop=True)
    people = disclosure.counts_people(choices.indicator, target_indicator)
    if "mask_text" in table:  # from the protected tables (protected.map_values)
        table, mask_label = disclosure.mask_by_status(table)
        origin = "protected"
    else:
        table, mask_label = disclosure.mask_map_values(table, people)
        # Exact counts of people shown to a lecteur: exports refuse them.
        origin = "exact" if people and disclosure.masking_active() else None
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
        counts=origin,
        months=values.attrs.get("months"),
    )
