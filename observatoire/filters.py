"""The global filters every page honours, and their round trip through the URL query string."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date


@dataclass(frozen=True)
class Filters:
    ept: str | None = None
    communes: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    include_demo: bool = True

    def params(self) -> dict:
        """Named parameters for the SQL filter clauses (see observatoire/sql/_filters.sql)."""
        return {
            "ept": self.ept,
            "communes": list(self.communes),
            "programmes": list(self.programmes),
            "date_from": self.date_from,
            "date_to": self.date_to,
            "include_demo": self.include_demo,
        }

    @property
    def has_territory(self) -> bool:
        return bool(self.ept or self.communes)

    def to_query(self) -> dict[str, str]:
        """Query-string form: only what differs from the defaults, so links stay short."""
        query: dict[str, str] = {}
        if self.ept:
            query["ept"] = self.ept
        if self.communes:
            query["commune"] = ",".join(self.communes)
        if self.programmes:
            query["programme"] = ",".join(self.programmes)
        if self.date_from:
            query["du"] = self.date_from.isoformat()
        if self.date_to:
            query["au"] = self.date_to.isoformat()
        if not self.include_demo:
            query["demo"] = "0"
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        """Parse a query string leniently: a malformed value falls back to its default."""

        def _date(key: str) -> date | None:
            try:
                return date.fromisoformat(query[key]) if query.get(key) else None
            except ValueError:
                return None

        def _list(key: str) -> tuple[str, ...]:
            return tuple(v for v in (query.get(key) or "").split(",") if v)

        return cls(
            ept=query.get("ept") or None,
            communes=_list("commune"),
            programmes=_list("programme"),
            date_from=_date("du"),
            date_to=_date("au"),
            include_demo=query.get("demo", "1") != "0",
        )

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)
