"""The benchmark scripts still import (a module moved or renamed breaks them long before
anyone runs `make bench`); `make bench-smoke` runs them for real, in CI."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH.glob("*.py")))
def test_bench_script_imports(monkeypatch, name):
    monkeypatch.syspath_prepend(str(BENCH))
    module = importlib.import_module(name)
    assert callable(module.main)
    sys.modules.pop(name, None)
