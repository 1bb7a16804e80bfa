"""What a load reports (``LoadResult``) and the French name of each kind of file (from its
contract, etl/schemas.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from etl import schemas

KIND_LABELS = {kind: contract.label for kind, contract in schemas.CONTRACTS.items()}


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
    mapping: dict[str, str] = field(default_factory=dict)  # column mapping used (expected → column)
