"""What a load reports (``LoadResult``) and the French name of each kind of file: shared by
etl/load/ and the need-side loaders of etl/need/, which etl/load/ dispatches to (kept apart
from etl/load/__init__.py so that etl/need/ does not import the package that imports it)."""

from __future__ import annotations

from dataclasses import dataclass, field

KIND_LABELS = {
    "distributions": "distributions",
    "funding": "financements",
    "targets": "objectifs",
    "programmes": "programmes",
    # Need-side kinds, loaded by etl/need/ (issue #13).
    "indicateurs": "indicateurs",
    "lieux": "lieux",
    "conseillers": "conseillers",
}


@dataclass
class LoadResult:
    kind: str
    file_name: str
    source_label: str
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0  # set aside without being errors (need-side kinds: outside the 93…)
    dropped_personal_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    already_loaded: bool = False
    replaced_loads: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    format: str = ""
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    header_row: int = 0
