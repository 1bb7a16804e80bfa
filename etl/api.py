"""The ETL's one door for the dashboard: the upload page (views/data.py) loads a file with
``load_file`` and shows its ``LoadResult`` or the French sentence of an ``EtlError``.
Nothing else of etl/ is imported by views/ or observatoire/ (tests/test_layers.py)."""

from __future__ import annotations

from etl.errors import EtlError
from etl.load import KIND_LABELS, LoadResult, load_file

__all__ = ["KIND_LABELS", "EtlError", "LoadResult", "load_file"]
