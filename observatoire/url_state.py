"""Page state in the link, declared once.

Every value a page keeps in its address is a field of a frozen dataclass declared with
`param(...)`: its URL key, its old spellings (aliases, still read, rewritten on the next
run), how it is read and written (its Kind), the value left out of links (so that links stay
short), an optional clamp into range, and the session-state key of the widget that shows it.
Any such dataclass that inherits UrlState gets the four conversions, written once here:
to_query / from_query (the link) and widget_state / from_widgets (the page's widgets).
A malformed or unknown value in a link is ignored: the field keeps its default.

Streamlit-free: webapp/url_state.py is the one glue that reads st.query_params on arrival and
writes them back. The declarations: Filters (observatoire/filters.py), MapChoices
(observatoire/map/choices.py), NeedChoices (observatoire/need.py), AllotChoices
(observatoire/allocation.py), and below those of the
pages without a module of their own (Objectifs, Financements, Fiche territoire).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Self

# The two territorial levels of the pages (value → label), and their one URL key.
LEVELS = {"commune": "Communes", "ept": "EPT"}
LEVEL_KEY = "niveau"

_META = "url_state"
_SAME = object()  # `omit` left unset: the field's default is left out of links


@dataclass(frozen=True)
class Kind:
    """How a value is read from the link (parse raises ValueError on a bad value) and
    written to it."""

    parse: Callable[[str], Any]
    write: Callable[[Any], str] = str


_TRUE = {"1", "true", "oui", "yes", "on"}
_FALSE = {"0", "false", "non", "no", "off"}


def _flag(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise ValueError(f"not a yes/no value: {text!r}")


TEXT = Kind(str)
FLAG = Kind(_flag, lambda value: "1" if value else "0")
INTEGER = Kind(lambda text: int(text.strip()))
DATE = Kind(lambda text: date.fromisoformat(text.strip()), lambda value: value.isoformat())
TEXT_LIST = Kind(lambda text: tuple(v for v in text.split(",") if v), ",".join)


def one_of(values: Mapping[str, str]) -> Kind:
    """One of VALUES (value → label). The label is read too, in any case: widgets bound to
    the URL wrote their label (« ?echelon=Communes »)."""
    spellings = {label.lower(): value for value, label in values.items()}
    spellings |= {value.lower(): value for value in values}

    def parse(text: str) -> str:
        try:
            return spellings[text.strip().lower()]
        except KeyError:
            raise ValueError(f"unknown value: {text!r}") from None

    return Kind(parse)


def clamped(value, low, high):
    """VALUE brought into [LOW, HIGH]."""
    return min(max(value, low), high)


@dataclass(frozen=True)
class Param:
    """One field's link and widget: see param()."""

    key: str
    kind: Kind = TEXT
    aliases: tuple[str, ...] = ()
    widget: str | None = None
    omit: Any = _SAME
    clamp: Callable[[Any], Any] | None = None
    to_widget: Callable[[Any], Any] | None = None
    from_widget: Callable[[Any], Any] | None = None


def param(
    key: str,
    default: Any,
    *,
    kind: Kind = TEXT,
    aliases: tuple[str, ...] = (),
    widget: str | None = None,
    omit: Any = _SAME,
    clamp: Callable[[Any], Any] | None = None,
    to_widget: Callable[[Any], Any] | None = None,
    from_widget: Callable[[Any], Any] | None = None,
    compare: bool = True,
) -> Any:
    """A dataclass field kept in the link under KEY (and read under ALIASES, old keys).

    DEFAULT: the value when the link says nothing or something unreadable. OMIT: the value
    left out of links, when it is not DEFAULT: a value, or a function of the whole state (the
    map's normalisation: the indicator's own default). CLAMP: brings a readable but
    out-of-range value back into range. WIDGET: the session-state key of the widget showing
    the field (None: the page handles it), with TO_WIDGET / FROM_WIDGET when the widget holds
    another form of the value (« 93 » for no EPT)."""
    meta = Param(key, kind, aliases, widget, omit, clamp, to_widget, from_widget)
    return dataclasses.field(default=default, compare=compare, metadata={_META: meta})


def level_param(widget: str, default: str = "commune") -> Any:
    """The territorial level: `niveau` everywhere; Objectifs' old `echelon` still read."""
    return param(LEVEL_KEY, default, kind=one_of(LEVELS), aliases=("echelon",), widget=widget)


class UrlState:
    """The four conversions of a frozen dataclass whose fields are declared with param().
    Subclasses may override `checked` (validation against what the warehouse holds); its
    arguments are those given to from_query and from_widgets after the mapping.
    REMEMBER: a page opened without any of its keys in the link shows its choices as last
    left in the session (else its defaults)."""

    REMEMBER: ClassVar[bool] = True

    @classmethod
    def url_params(cls) -> list[tuple[dataclasses.Field, Param]]:
        return [(f, f.metadata[_META]) for f in dataclasses.fields(cls) if _META in f.metadata]

    @classmethod
    def url_keys(cls) -> tuple[str, ...]:
        """Every key the state reads, its old aliases included."""
        return tuple(k for _, p in cls.url_params() for k in (p.key, *p.aliases))

    @classmethod
    def widget_keys(cls) -> tuple[str, ...]:
        return tuple(p.widget for _, p in cls.url_params() if p.widget)

    def checked(self, *args, **kwargs) -> Self:
        return self

    def _omitted(self, field: dataclasses.Field, p: Param) -> Any:
        if p.omit is _SAME:
            return field.default
        return p.omit(self) if callable(p.omit) else p.omit

    def to_query(self) -> dict[str, str]:
        """Only what differs from the defaults, so that links stay short."""
        query: dict[str, str] = {}
        for field, p in self.url_params():
            value = getattr(self, field.name)
            if value in (None, "", ()) or value == self._omitted(field, p):
                continue
            query[p.key] = p.kind.write(value)
        return query

    @classmethod
    def query_values(cls, query: Mapping[str, str]) -> dict[str, Any]:
        """The fields a link sets, leniently: an empty, malformed or unknown value is left
        out (the field keeps its default); a readable one out of range is clamped."""
        values = {}
        for field, p in cls.url_params():
            text = next((query[k] for k in (p.key, *p.aliases) if query.get(k)), None)
            if text is None:
                continue
            try:
                value = p.kind.parse(text)
                values[field.name] = p.clamp(value) if p.clamp else value
            except (ValueError, TypeError):
                continue
        return values

    @classmethod
    def from_query(cls, query: Mapping[str, str], *args, **kwargs) -> Self:
        return cls(**cls.query_values(query)).checked(*args, **kwargs)

    def widget_state(self) -> dict[str, Any]:
        """Session-state key → value, to seed the page's widgets."""
        state = {}
        for field, p in self.url_params():
            if not p.widget:
                continue
            value = getattr(self, field.name)
            if value in (None, ""):
                value = self._omitted(field, p)
            if isinstance(value, tuple):
                value = list(value)  # a multiselect holds a list
            state[p.widget] = p.to_widget(value) if p.to_widget else value
        return state

    @classmethod
    def widget_values(cls, state: Mapping) -> dict[str, Any]:
        """The fields the page's widgets hold (those absent keep their default)."""
        values = {}
        for field, p in cls.url_params():
            if p.widget and p.widget in state:
                value = state[p.widget]
                value = p.from_widget(value) if p.from_widget else value
                values[field.name] = tuple(value) if isinstance(value, list) else value
        return values

    @classmethod
    def from_widgets(cls, state: Mapping, *args, **kwargs) -> Self:
        return cls(**cls.widget_values(state)).checked(*args, **kwargs)


# The pages without a module of their own ----------------------------------------------------


@dataclass(frozen=True)
class TargetChoices(UrlState):
    """Objectifs: the late targets first, the target followed over time, the level and the
    target broken down by territory. A target is named in the link by its title (programme
    – label), as before; its widget holds its row, which the page matches to the title
    among the targets under the filters."""

    REMEMBER = False  # as before: opened without a link, the page shows its defaults

    laggards: bool = param("retard", False, kind=FLAG, widget="retard")
    target: str | None = param("objectif", None)
    level: str = level_param("echelon", default="ept")
    family: str | None = param("reparti", None)


@dataclass(frozen=True)
class FundingChoices(UrlState):
    """Financements: the level of the territory table and the pro-rata allocation."""

    REMEMBER = False  # as before: opened without a link, the page shows its defaults

    level: str = level_param("niveau", default="ept")
    allocate: bool = param("repartir", False, kind=FLAG, widget="repartir")


@dataclass(frozen=True)
class SheetChoice(UrlState):
    """Fiche territoire: the commune or EPT shown (?code=93048)."""

    REMEMBER = False  # as before: opened without a link, the page shows its defaults

    code: str | None = param("code", None, widget="t_code")

    def checked(self, known: Collection[str] | None = None) -> SheetChoice:
        """A code that is not among KNOWN (the communes and EPTs) is none."""
        return self if known is None or self.code in known else SheetChoice()
