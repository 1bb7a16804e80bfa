"""The global filters every page honours, declared with their URL keys (observatoire/url_state.py
gives their round trip through the query string and the sidebar widgets)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from observatoire.date_bounds import DATE_MIN, date_max
from observatoire.url_state import DATE, FLAG, TEXT_LIST, UrlState, clamped, param

WHOLE_DEPARTEMENT = "93"  # the EPT selector's "all" choice
FIRST_DATE = DATE_MIN  # the date pickers' range: FIRST_DATE to today (date_bounds)


def _in_date_range(day: date) -> date:
    # A date outside the pickers' range would break the page: bring it back in range.
    return clamped(day, FIRST_DATE, date_max())


@dataclass(frozen=True)
class Filters(UrlState):
    ept: str | None = param(
        "ept",
        None,
        widget="f_ept",
        to_widget=lambda ept: ept or WHOLE_DEPARTEMENT,
        from_widget=lambda ept: None if ept == WHOLE_DEPARTEMENT else ept,
    )
    communes: tuple[str, ...] = param("commune", (), kind=TEXT_LIST, widget="f_communes")
    programmes: tuple[str, ...] = param("programme", (), kind=TEXT_LIST, widget="f_programmes")
    date_from: date | None = param("du", None, kind=DATE, widget="f_du", clamp=_in_date_range)
    date_to: date | None = param("au", None, kind=DATE, widget="f_au", clamp=_in_date_range)
    include_demo: bool = param("demo", True, kind=FLAG, widget="f_demo")
    # Demonstration records of a kind (distributions, funding, posts) leave the figures once
    # real records of that kind are loaded, so that the two never add up unnoticed; this
    # brings them back beside the real ones (warehouse.demo_flags).
    demo_with_real: bool = param("demo_reel", False, kind=FLAG, widget="f_demo_reel")

    def params(self) -> dict:
        """Named parameters for the SQL filter clauses (see observatoire/sql/_filters.sql)."""
        return {
            "ept": self.ept,
            "communes": list(self.communes),
            "programmes": list(self.programmes),
            "date_from": self.date_from,
            "date_to": self.date_to,
            "include_demo": self.include_demo,
            "demo_with_real": self.demo_with_real,
        }

    @property
    def has_territory(self) -> bool:
        return bool(self.ept or self.communes)

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)
