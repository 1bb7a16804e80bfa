"""« Répartir une enveloppe » (issue #23): where should the next tablets, conseiller posts or
euros go? An envelope (a whole number of one type of aid, of posts, or of euros) is shared
between the communes of a territory by one of four rules, under a floor and a ceiling per
commune, some communes excluded; every rule is computed side by side.

Pure functions on data frames; the page (views/allocation.py) queries (current help:
protected.map_values, as on the map; communes and need: warehouse.allocation_inputs), this
module computes, observatoire/charts/allocation.py draws.

How a share is computed, for every rule:
1. a continuous share per commune, a non-decreasing function of the amount to share
   (`_ideal`): prorata of population, prorata of need (population × the need indicator,
   turned so that more need weighs more), catching up (water filling of the need-weighted
   shortfall below a level of help per 1 000 inhabitants), or a mix of two of them;
2. the floors and ceilings: the amount fed to the rule is raised until the shares, each
   clamped between its floor and its ceiling, add up to the envelope (bisection: the clamped
   sum is non-decreasing in it), so a commune at its floor or ceiling leaves the rest shared
   by the rule among the others;
3. whole units by the largest-remainder method: each commune gets the whole part of its
   share, the units left go to the largest fractional parts (ties: the larger population,
   then the code), so that shares add up exactly to the envelope (euros: to the euro).

Small counts: a lecteur's current help comes from the protected tables; a hidden figure
(« < 5 », « secret ») is used in its protected form (`protected_estimates`: what the
published totals of its EPT or of the département leave for it, by population), left out of
the median, and the page says so; its help per 1 000 before and after stays « masqué ».
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from observatoire import disclosure, fmt, protected
from observatoire.need import known_indicator
from observatoire.url_state import INTEGER, TEXT_LIST, Kind, UrlState, clamped, param

# What the envelope holds (the help measure of the map it adds to) ---------------------------
MEASURES = {
    "quantite": "Une quantité d'un type d'aide",
    "postes": "Des postes de conseillers numériques",
    "euros": "Des euros",
}
DEFAULT_ITEM = "tablette"
DEFAULT_INDICATOR = "ifn"
MAX_AMOUNT = 1_000_000_000  # a guard against a link asking for an absurd envelope

# The rules: label, and the method in one French sentence (shown on the page and in the README).
BASE_RULES = ("population", "besoin", "rattrapage")
RULES = {
    "population": "Prorata de la population",
    "besoin": "Prorata du besoin",
    "rattrapage": "Rattrapage",
    "melange": "Mélange de deux règles",
}
METHODS = {
    "population": (
        "Chaque commune reçoit une part de l'enveloppe proportionnelle à sa population "
        "municipale (la règle des communiqués)."
    ),
    "besoin": (
        "Chaque commune reçoit une part proportionnelle à sa population multipliée par "
        "l'indicateur de besoin choisi (l'IFN par défaut ; pour un indicateur où une valeur "
        "basse signale la fragilité, son écart au maximum de l'échelle)."
    ),
    "rattrapage": (
        "L'enveloppe va d'abord aux communes les plus en dessous d'un niveau d'aide pour "
        "1 000 habitants (la médiane des communes par défaut), leur écart pondéré par leur "
        "besoin, jusqu'à épuisement ; une commune déjà au niveau ne reçoit rien, et ce qui "
        "reste une fois toutes au niveau est partagé entre les communes qui étaient en "
        "dessous au prorata du besoin."
    ),
    "melange": (
        "Chaque commune reçoit la moyenne de ses parts sous deux règles, pondérée par le "
        "poids choisi (50 % : moitié-moitié)."
    ),
}
ROUNDING = (
    "Les parts sont des unités entières (des euros pour une enveloppe en euros), "
    "arrondies par la méthode du plus fort reste : leur somme est exactement l'enveloppe."
)

# Why a commune gets nothing, or a different share.
EXCLUDED = "exclue"
MIN_NEED_WEIGHT = 0.05  # a commune's relative need never falls to 0 (catching up divides by it)


class AllocationError(ValueError):
    """A scenario that cannot be shared (floors above the envelope, ceilings below it, no
    commune left, no commune below the level): its message is one French sentence."""


# The reader's choices ---------------------------------------------------------------------

NUMBER = Kind(lambda text: float(text.strip().replace(",", ".")), lambda v: f"{v:g}")


def _amount(value: int) -> int:
    return clamped(int(value), 1, MAX_AMOUNT)


def _count(value: int) -> int:
    return clamped(int(value), 0, MAX_AMOUNT)


@dataclass(frozen=True)
class AllotChoices(UrlState):
    """Everything « Répartir une enveloppe » lets the reader choose; lives in the URL (aide,
    detail, enveloppe, regle, besoin, cible, melange, poids, plancher, plafond, exclure). The
    territory is the sidebar's (ept, commune). level (cible): help per 1 000 inhabitants that
    catching up aims at, None for the median; ceiling (plafond) None for none."""

    measure: str = param("aide", "quantite", widget="a_measure")
    item: str = param("detail", DEFAULT_ITEM, widget="a_item")
    amount: int = param("enveloppe", 400, kind=INTEGER, widget="a_amount", clamp=_amount)
    rule: str = param("regle", "besoin", widget="a_rule")
    indicator: str = param("besoin", DEFAULT_INDICATOR, widget="a_indicator")
    level: float | None = param("cible", None, kind=NUMBER, widget="a_level")
    mix: tuple[str, ...] = param("melange", ("population", "rattrapage"), kind=TEXT_LIST)
    weight: int = param("poids", 50, kind=INTEGER, widget="a_weight")
    floor: int = param("plancher", 0, kind=INTEGER, widget="a_floor", clamp=_count)
    ceiling: int | None = param("plafond", None, kind=INTEGER, widget="a_ceiling", clamp=_count)
    excluded: tuple[str, ...] = param("exclure", (), kind=TEXT_LIST, widget="a_excluded")

    MIX_WIDGETS = ("a_mix_first", "a_mix_second")

    def checked(
        self, indicators: list[str] | None = None, communes: list[str] | None = None
    ) -> AllotChoices:
        """Unknown values fall back to their defaults. INDICATORS: the need indicators the
        warehouse holds; COMMUNES: the codes of the territory (exclusions outside it are
        dropped)."""
        default = AllotChoices()
        measure = self.measure if self.measure in MEASURES else default.measure
        item = self.item if measure == "quantite" and self.item in fmt.ITEM_LABELS else None
        rule = self.rule if self.rule in RULES else default.rule
        indicator = known_indicator(self.indicator, indicators)
        mix = tuple(r for r in self.mix if r in BASE_RULES)[:2]
        if len(mix) < 2 or mix[0] == mix[1]:
            mix = default.mix
        level = self.level if self.level is not None and np.isfinite(self.level) else None
        level = None if level is None or level < 0 else float(level)
        excluded = tuple(dict.fromkeys(self.excluded))
        if communes is not None:
            excluded = tuple(c for c in excluded if c in communes)
        ceiling = None if self.ceiling is None else _count(self.ceiling)
        return replace(
            self,
            measure=measure,
            item=item or DEFAULT_ITEM,
            amount=_amount(self.amount),
            rule=rule,
            indicator=indicator,
            level=level,
            mix=mix,
            weight=clamped(int(self.weight), 0, 100),
            floor=_count(self.floor),
            ceiling=ceiling,
            excluded=excluded,
        )

    def widget_state(self) -> dict:
        return super().widget_state() | dict(zip(self.MIX_WIDGETS, self.mix, strict=True))

    @classmethod
    def from_widgets(cls, state: Mapping, *args) -> AllotChoices:
        values = cls.widget_values(state)
        mix = tuple(state[w] for w in cls.MIX_WIDGETS if w in state)
        return cls(**values, mix=mix or cls().mix).checked(*args)

    @property
    def scenario(self) -> Scenario:
        return Scenario(
            amount=self.amount,
            rule=self.rule,
            level=self.level,
            mix=self.mix,
            weight=self.weight / 100,
            floor=self.floor,
            ceiling=self.ceiling,
            excluded=frozenset(self.excluded),
        )

    def rule_label(self) -> str:
        """« prorata du besoin », « mélange : 70 % prorata de la population, 30 % rattrapage »."""
        if self.rule != "melange":
            return RULES[self.rule].lower()
        first, second = self.mix
        return (
            f"mélange : {self.weight} % {RULES[first].lower()}, "
            f"{100 - self.weight} % {RULES[second].lower()}"
        )


@dataclass(frozen=True)
class Scenario:
    """A rule and its constraints, without Streamlit nor URL: what `allocate` needs."""

    amount: int
    rule: str = "population"
    level: float | None = None  # catching up: help per 1 000 inhabitants; None: the median
    mix: tuple[str, str] = ("population", "rattrapage")
    weight: float = 0.5  # of the mix's first rule
    floor: int = 0
    ceiling: int | None = None
    excluded: frozenset[str] = frozenset()


# Units ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Units:
    singular: str
    plural: str
    money: bool = False

    def count(self, value: float) -> str:
        """« 38 tablettes », « 1 poste », « 150 000 € »."""
        if self.money:
            return fmt.money(value)
        return fmt.plural(value, self.singular, self.plural)


def units_for(measure: str, item: str | None) -> Units:
    if measure == "euros":
        return Units("€", "€", money=True)
    if measure == "postes":
        return Units("poste de conseiller numérique", "postes de conseiller numérique")
    item = item or DEFAULT_ITEM
    singular = fmt.ITEM_LABELS_SINGULAR.get(item, item)
    return Units(singular, fmt.item_label(item).lower().replace("sim", "SIM"))


# Inputs -----------------------------------------------------------------------------------


def oriented_need(values: pd.Series, direction: str, scale_max: float | None) -> pd.Series:
    """The need indicator turned so that more need weighs more: as it is for 'fragile_haut'
    and 'neutre'; for 'fragile_bas' (a low value is fragile), its gap to the top of its scale
    (or to the largest value when the scale is unknown). Never negative."""
    values = values.astype(float)
    if direction == "fragile_bas":
        top = scale_max if scale_max is not None and not pd.isna(scale_max) else values.max()
        values = top - values
    return values.clip(lower=0)


def protected_estimates(
    communes: pd.DataFrame, epts: pd.DataFrame, departement: float | None
) -> dict[str, float]:
    """The protected form of each hidden figure: what the published figures say of it. For
    COMMUNES (protected.map_values over the whole département: code, ept_code, population,
    value, mask_text), a hidden commune gets the published total of its EPT (EPTS, the same at
    EPT level) minus its published communes, shared among its hidden communes by population;
    where the EPT's total is hidden too, what the DEPARTEMENT's published total leaves, the
    same way (0 when nothing is published). Only published figures enter: nothing hidden can
    be read back from the result."""
    hidden = communes["mask_text"].notna()
    shown = communes.loc[~hidden].assign(value=lambda f: f["value"].fillna(0.0))
    by_ept = shown.groupby("ept_code")["value"].sum()
    ept_rows = epts.set_index("code")
    left = None if departement is None else float(departement) - float(shown["value"].sum())
    estimates: dict[str, float] = {}

    def spread(rows: pd.DataFrame, total: float) -> None:
        weights = rows["population"].astype(float)
        for code, weight in zip(rows["code"], weights, strict=True):
            estimates[code] = max(total, 0.0) * weight / weights.sum() if weights.sum() else 0.0

    pending = []
    for ept, rows in communes.loc[hidden].groupby("ept_code"):
        row = ept_rows.loc[ept] if ept in ept_rows.index else None
        if row is not None and pd.isna(row.get("mask_text")):
            residual = float(0.0 if pd.isna(row["value"]) else row["value"]) - by_ept.get(ept, 0.0)
            spread(rows, residual)
            left = None if left is None else left - max(residual, 0.0)
        else:
            pending.append(rows)
    if pending:
        spread(pd.concat(pending), left or 0.0)
    return estimates


def protected_forms(
    filters, help_values: pd.DataFrame, measure: str, item: str | None
) -> dict[str, float] | None:
    """protected_estimates for the hidden figures of HELP_VALUES (protected.map_values of the
    page: None when nothing is hidden), read from the protected tables over the whole
    département under the same programmes and dates."""
    if "mask_text" not in help_values or help_values["mask_text"].isna().all():
        return None
    whole = filters.with_(ept=None, communes=())
    cube = protected.cube_measure(measure, item)
    total = protected.protected_counts(whole, cube, "departement").table["value"].iloc[0]
    return protected_estimates(
        protected.map_values(whole, "commune", measure, item),
        protected.map_values(whole, "ept", measure, item),
        None if pd.isna(total) else float(total),
    )


def inputs_table(
    help_values: pd.DataFrame, need: pd.DataFrame, estimates: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """One row per commune of HELP_VALUES (protected.map_values at commune level: code, name,
    ept_code, ept_name, population, value, has_demo, and for a lecteur mask_text) with NEED
    (code, need: the oriented indicator): columns code, name, ept_code, ept_name, population,
    help (0 where there is no record; where masked, its protected form from ESTIMATES, else
    0), masked, mask_text, need, has_demo. Marked, for the exports, with where its counts come
    from."""
    table = help_values.copy().reset_index(drop=True)
    if "mask_text" not in help_values:  # exact figures: an interne's, or not people
        table["mask_text"] = None
    table["masked"] = table["mask_text"].notna()
    table["help"] = table["value"].astype(float).fillna(0.0)
    forms = table["code"].map(estimates or {}).fillna(0.0)
    table.loc[table["masked"], "help"] = forms[table["masked"]]
    needs = dict(zip(need["code"], need["need"], strict=True)) if not need.empty else {}
    table["need"] = table["code"].map(needs).astype(float)
    columns = ["code", "name", "ept_code", "ept_name", "population", "help", "masked"]
    out = table[[*columns, "mask_text", "need", "has_demo"]].copy()
    origin = help_values.attrs.get(disclosure.COUNTS)
    return disclosure.mark(out, origin) if origin else out


def help_rates(table: pd.DataFrame) -> pd.Series:
    """Current help per 1 000 inhabitants (of the protected form where masked)."""
    return table["help"] * 1000 / table["population"].where(table["population"] > 0)


def median_level(table: pd.DataFrame) -> float:
    """The median help per 1 000 inhabitants of the communes whose help is published
    (masked ones left out), the default level of catching up."""
    rates = help_rates(table[~table["masked"]]).dropna()
    return float(rates.median()) if not rates.empty else 0.0


# The continuous shares --------------------------------------------------------------------


def _proportional(weights: np.ndarray):
    total = weights.sum()

    def share(amount: float) -> np.ndarray:
        return amount * weights / total if total > 0 else np.zeros_like(weights)

    return share


def _catching_up(population: np.ndarray, rates: np.ndarray, need: np.ndarray, level: float):
    """Water filling: the need-weighted shortfall n·(level − rate) of the communes below
    LEVEL is cut from the top down to a common θ; once every commune is at the level, the
    rest goes to those that were below, prorata population × need. Communes at or above the
    level get nothing."""
    gap_rate = np.clip(level - rates, 0, None)
    below = gap_rate > 0
    gaps = population * gap_rate / 1000  # units that bring a commune to the level
    total_gap = gaps.sum()
    deficit = need * gap_rate
    extra = _proportional(np.where(below, population * need, 0.0))

    # The water level θ for an amount below the total gap, exactly: the shortfalls sorted
    # from the largest, the amount given while θ falls past the k largest is piecewise
    # linear, S_k − A_k·θ with A_k = Σ a and S_k = Σ a·deficit over them (a = population /
    # 1 000 / need); θ is the first θ_k = (S_k − amount) / A_k not below the next shortfall.
    order = np.argsort(-deficit, kind="stable")
    rate = (population / 1000 / need)[order]
    sorted_deficit = deficit[order]
    slope = np.cumsum(rate)
    reach = np.cumsum(rate * sorted_deficit)
    following = np.append(sorted_deficit[1:], 0.0)

    def share(amount: float) -> np.ndarray:
        if amount >= total_gap:
            return gaps + extra(amount - total_gap)
        with np.errstate(divide="ignore", invalid="ignore"):
            levels = (reach - amount) / slope
        k = int(np.argmax(levels >= following - 1e-12))
        theta = max(float(levels[k]), 0.0)
        return population / 1000 * np.clip(deficit - theta, 0, None) / need

    return share


def _relative_need(need: np.ndarray) -> np.ndarray:
    """Need relative to the mean of the communes that have one (1 where missing), floored
    at MIN_NEED_WEIGHT."""
    known = need[~np.isnan(need)]
    mean = known.mean() if known.size and known.mean() > 0 else 1.0
    return np.clip(np.where(np.isnan(need), mean, need) / mean, MIN_NEED_WEIGHT, None)


def _ideal(rule: str, table: pd.DataFrame, scenario: Scenario, level: float):
    """The rule's continuous share function (amount → shares) over TABLE's communes."""
    population = table["population"].to_numpy(dtype=float)
    need = table["need"].to_numpy(dtype=float)
    if rule == "population":
        return _proportional(population)
    if rule == "besoin":
        return _proportional(population * np.nan_to_num(need, nan=0.0))
    if rule == "rattrapage":
        rates = np.nan_to_num(help_rates(table).to_numpy(dtype=float), nan=0.0)
        return _catching_up(population, rates, _relative_need(need), level)
    if rule == "melange":
        first, second = (_ideal(r, table, scenario, level) for r in scenario.mix)
        w = scenario.weight
        return lambda amount: w * first(amount) + (1 - w) * second(amount)
    raise ValueError(f"unknown rule {rule!r}")


# Constraints and whole units --------------------------------------------------------------


def _constrained(ideal, amount: int, floors: np.ndarray, ceilings: np.ndarray) -> np.ndarray:
    """Shares clamped to [floors, ceilings] adding up to AMOUNT: the amount fed to IDEAL is
    found by bisection (the clamped sum never decreases as it grows)."""

    def total(fed: float) -> float:
        return np.clip(ideal(fed), floors, ceilings).sum()

    high = float(amount)
    for _ in range(80):
        if total(high) >= amount:
            break
        high *= 2
    else:
        raise AllocationError(
            "Cette règle ne peut pas répartir toute l'enveloppe entre les communes retenues "
            "(plafonds atteints, ou aucune commune ne peut recevoir)."
        )
    low = 0.0
    for _ in range(100):
        mid = (low + high) / 2
        if total(mid) < amount:
            low = mid
        else:
            high = mid
    return np.clip(ideal(high), floors, ceilings)


def largest_remainder(
    shares: np.ndarray,
    amount: int,
    ceilings: np.ndarray | None = None,
    order_keys: tuple[np.ndarray, ...] = (),
) -> np.ndarray:
    """Whole units adding up to AMOUNT: the whole part of each share, then one more unit to
    the largest fractional parts (ties broken by ORDER_KEYS, larger first), never above
    CEILINGS."""
    shares = np.clip(np.asarray(shares, dtype=float), 0, None)
    whole = np.floor(shares + 1e-9).astype(np.int64)
    fraction = shares - whole
    left = int(amount - whole.sum())
    ceilings = np.full(len(shares), np.inf) if ceilings is None else ceilings
    # np.lexsort sorts by its last key first, ascending: negate for « larger first ».
    keys = [-k for k in reversed(order_keys)] + [-fraction]
    order = np.lexsort(keys) if len(shares) else np.array([], dtype=int)
    if left > 0:
        room = [i for i in order if whole[i] < ceilings[i]]
        for i in room[:left]:
            whole[i] += 1
    elif left < 0:  # never beyond rounding noise: take back from the smallest fractions
        for i in [i for i in order[::-1] if whole[i] > 0][:-left]:
            whole[i] -= 1
    return whole


def allocate(table: pd.DataFrame, scenario: Scenario, rule: str | None = None) -> pd.Series:
    """Whole shares of SCENARIO's envelope under RULE (default: the scenario's) for every
    commune of TABLE (inputs_table), indexed like it: 0 for an excluded commune. Raises
    AllocationError (one French sentence) when the constraints cannot hold."""
    rule = rule or scenario.rule
    included = ~table["code"].isin(scenario.excluded)
    kept = table[included]
    if kept.empty:
        raise AllocationError("Toutes les communes du territoire sont exclues.")
    count = len(kept)
    floors = np.full(count, float(scenario.floor))
    ceilings = np.full(count, np.inf if scenario.ceiling is None else float(scenario.ceiling))
    if scenario.ceiling is not None and scenario.ceiling < scenario.floor:
        raise AllocationError("Le plafond par commune est inférieur au plancher.")
    if floors.sum() > scenario.amount:
        raise AllocationError(
            f"Les planchers ({fmt.number(scenario.floor)} × {count} communes) dépassent "
            "l'enveloppe."
        )
    if ceilings.sum() < scenario.amount:
        raise AllocationError(
            f"Les plafonds ({fmt.number(scenario.ceiling)} × {count} communes) ne permettent "
            "pas de répartir toute l'enveloppe."
        )
    level = scenario.level if scenario.level is not None else median_level(kept)
    uses_catching_up = rule == "rattrapage" or (rule == "melange" and "rattrapage" in scenario.mix)
    if uses_catching_up and not (help_rates(kept).fillna(0) < level).any():
        raise AllocationError(
            "Aucune commune n'est en dessous du niveau de rattrapage : le rattrapage n'a "
            "rien à répartir."
        )
    shares = _constrained(_ideal(rule, kept, scenario, level), scenario.amount, floors, ceilings)
    whole = largest_remainder(
        shares,
        scenario.amount,
        ceilings,
        (kept["population"].to_numpy(dtype=float), -kept.index.to_numpy(dtype=float)),
    )
    out = pd.Series(0, index=table.index, dtype="int64")
    out[included] = whole
    return out


# The comparison the page shows ------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Every rule's shares side by side, computed once for the chart, map, table and
    sentence."""

    table: pd.DataFrame  # inputs_table + rate, excluded, share_<rule> (NaN: rule impossible)
    choices: AllotChoices
    units: Units
    level: float  # the catching-up level used (per 1 000 inhabitants)
    errors: dict[str, str]  # rule → why it cannot share this envelope

    @property
    def rules(self) -> list[str]:
        """The rules compared: the three base rules, and the mix when chosen."""
        return [*BASE_RULES, *(["melange"] if self.choices.rule == "melange" else [])]

    @property
    def chosen(self) -> pd.Series:
        return self.table[f"share_{self.choices.rule}"]

    @property
    def ok(self) -> bool:
        return self.choices.rule not in self.errors


def compare(table: pd.DataFrame, choices: AllotChoices) -> Comparison:
    scenario = choices.scenario
    table = table.copy()
    table["rate"] = help_rates(table)
    table["excluded"] = table["code"].isin(scenario.excluded)
    kept = table[~table["excluded"]]
    level = scenario.level if scenario.level is not None else median_level(kept)
    errors: dict[str, str] = {}
    rules = [*BASE_RULES, *(["melange"] if choices.rule == "melange" else [])]
    for rule in rules:
        try:
            table[f"share_{rule}"] = allocate(table, scenario, rule).astype(float)
        except AllocationError as error:
            errors[rule] = str(error)
            table[f"share_{rule}"] = np.nan
    share = table[f"share_{choices.rule}"]
    table["rate_after"] = (table["help"] + share) * 1000 / table["population"]
    origin = table.attrs.get(disclosure.COUNTS)
    table = disclosure.mark(table, origin) if origin else table
    return Comparison(table, choices, units_for(choices.measure, choices.item), level, errors)


def rule_name(comparison: Comparison, rule: str) -> str:
    return comparison.choices.rule_label() if rule == "melange" else RULES[rule].lower()


def reading(comparison: Comparison) -> str:
    """« Avec la règle « prorata du besoin », Clichy-sous-Bois recevrait 38 tablettes, soit
    12 de plus qu'au prorata de la population. » — the commune the chosen rule favours most
    against the population prorata (for that rule itself: the largest share)."""
    c = comparison
    if not c.ok:
        return c.errors[c.choices.rule]
    t = c.table[~c.table["excluded"]]
    rule = rule_name(c, c.choices.rule)
    chosen = t[f"share_{c.choices.rule}"]
    if c.choices.rule == "population" or t["share_population"].isna().all():
        row = t.loc[chosen.idxmax()]
        return (
            f"Avec la règle « {rule} », {row['name']} recevrait la plus grande part : "
            f"{c.units.count(row[f'share_{c.choices.rule}'])} sur "
            f"{c.units.count(c.choices.amount)}."
        )
    gain = chosen - t["share_population"]
    row = t.loc[gain.abs().idxmax()]
    diff = gain[row.name]
    share = c.units.count(row[f"share_{c.choices.rule}"])
    if diff == 0:
        row = t.loc[chosen.idxmax()]
        return (
            f"Avec la règle « {rule} », chaque commune recevrait la même part qu'au prorata "
            f"de la population ; la plus grande part va à {row['name']} : "
            f"{c.units.count(row[f'share_{c.choices.rule}'])}."
        )
    more = "de plus" if diff > 0 else "de moins"
    amount = fmt.money(abs(diff)) if c.units.money else fmt.number(abs(diff))
    return (
        f"Avec la règle « {rule} », {row['name']} recevrait {share}, soit {amount} {more} "
        "qu'au prorata de la population."
    )


def method_sentences(choices: AllotChoices) -> list[str]:
    """The method of every rule compared (the chosen one first), each in one sentence."""
    rules = [choices.rule, *(r for r in BASE_RULES if r != choices.rule)]
    return [f"**{RULES[r]}** : {METHODS[r]}" for r in rules]


SHARE_PREFIX = "Part – "
RATE_COLUMN = "Aide actuelle pour 1 000 hab."
AFTER_COLUMN = "Aide pour 1 000 hab. après"


def display_table(c: Comparison, need_label: str) -> pd.DataFrame:
    """Commune by commune: current help (« < 5 », « secret » where hidden) and per 1 000,
    need, the share under each rule, help per 1 000 after the chosen rule (« masqué » where
    the current help is hidden); excluded communes say so."""
    t = c.table
    label = t["mask_text"].fillna(disclosure.current_label())
    frame = pd.DataFrame(
        {
            "Commune": t["name"],
            "EPT": t["ept_name"],
            "Population": t["population"],
            f"Aide actuelle ({c.units.plural})": disclosure.labelled(t["help"], t["masked"], label),
            RATE_COLUMN: disclosure.labelled(
                t["rate"].round(2), t["masked"], disclosure.DERIVED_LABEL
            ),
            need_label: t["need"].round(2),
        }
    )
    for rule in c.rules:
        values = t[f"share_{rule}"].astype(object).where(~t["excluded"], EXCLUDED)
        frame[SHARE_PREFIX + RULES[rule].lower()] = values.to_numpy()
    frame[AFTER_COLUMN] = disclosure.labelled(
        t["rate_after"].round(2), t["masked"], disclosure.DERIVED_LABEL
    )
    frame = frame.sort_values("Commune").reset_index(drop=True)
    origin = t.attrs.get(disclosure.COUNTS)
    return disclosure.mark(frame, origin) if origin else frame


def table_formats(c: Comparison, need_label: str) -> dict:
    share = fmt.money if c.units.money else fmt.number
    formats = {
        "Population": fmt.number,
        f"Aide actuelle ({c.units.plural})": share,
        RATE_COLUMN: lambda v: fmt.number(v, 1),
        need_label: lambda v: fmt.number(v, 1),
        AFTER_COLUMN: lambda v: fmt.number(v, 1),
    }
    return formats | {SHARE_PREFIX + RULES[r].lower(): share for r in c.rules}


def proposed_share(c: Comparison, code: str) -> dict | None:
    """What the fiche PDF of CODE says as « part proposée » (None when CODE is not a
    commune of the scenario or the rule cannot share it): the share, the envelope, the
    rule, its method, and the share under the population prorata."""
    rows = c.table[c.table["code"] == code]
    if rows.empty or not c.ok:
        return None
    row = rows.iloc[0]
    share = 0 if row["excluded"] else row[f"share_{c.choices.rule}"]
    return {
        "share": c.units.count(share),
        "envelope": c.units.count(c.choices.amount),
        "rule": c.choices.rule_label(),
        "method": METHODS[c.choices.rule],
        "population_share": None
        if pd.isna(row["share_population"])
        else c.units.count(row["share_population"]),
        "excluded": bool(row["excluded"]),
    }
