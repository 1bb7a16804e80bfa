"""Exact counts are a per-run setting (observatoire/audience.py): masked by default, set
by the glue in one session's thread without reaching another's."""

from __future__ import annotations

import threading

import pandas as pd

from observatoire import audience, disclosure
from tests.small_counts import internal


def _in_thread(function):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(function()))
    thread.start()
    thread.join()
    return seen[0]


def test_counts_are_masked_unless_this_run_says_otherwise(monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    assert disclosure.masking_active()

    def interne_run():
        audience.set_exact_counts(True)
        return disclosure.masking_active()

    assert _in_thread(interne_run) is False
    # Another session's thread, and this one, still mask.
    assert _in_thread(disclosure.masking_active) is True
    assert disclosure.masking_active()


def test_reset_and_internal_mode(monkeypatch):
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    token = audience.set_exact_counts(True)
    try:
        assert disclosure.hidden(pd.Series([3, 7, 120])).sum() == 0
    finally:
        audience.reset(token)
    assert disclosure.hidden(pd.Series([3, 7, 120])).sum() == 2
    internal(monkeypatch)
    assert not disclosure.masking_active()
    assert _in_thread(disclosure.masking_active) is False
