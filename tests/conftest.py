"""Shared fixtures: tiny real warehouses built by the real ETL in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from etl.warehouse import init_warehouse

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "observatoire.duckdb"
    init_warehouse(db, with_demo=True)
    return db


@pytest.fixture(scope="session")
def _empty_template(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("empty") / "observatoire.duckdb"
    init_warehouse(db, with_demo=False)
    return db


@pytest.fixture
def demo_db(_demo_template, tmp_path) -> Path:
    """A warehouse with reference data and the seeded demonstration records (a private copy)."""
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(_demo_template, db)
    return db


@pytest.fixture
def empty_db(_empty_template, tmp_path) -> Path:
    """A warehouse with reference data, programmes and targets, and no records."""
    db = tmp_path / "observatoire.duckdb"
    shutil.copy(_empty_template, db)
    return db
