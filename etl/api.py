"""The ETL's one door for the dashboard: the « Données » page (views/data.py) loads a file
with ``load_file`` and shows its ``LoadResult`` or the French sentence of an ``EtlError``
(a ``ColumnsMissing`` also carries its explanation and the column mapping to offer);
gestionnaires remove a load with ``unload`` (``describe_unload`` says what went), except
the kinds of ``PROTECTED_KINDS``. Nothing else of etl/ is imported by views/ or
observatoire/ (tests/test_layers.py)."""

from __future__ import annotations

from etl.errors import ColumnsMissing, EtlError
from etl.load import KIND_LABELS, LoadResult, load_file
from etl.unload import PROTECTED_KINDS, unload
from etl.unload import describe as describe_unload

__all__ = [
    "KIND_LABELS",
    "PROTECTED_KINDS",
    "ColumnsMissing",
    "EtlError",
    "LoadResult",
    "describe_unload",
    "load_file",
    "unload",
]
