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


def test_a_download_made_later_in_another_thread_keeps_its_run_audience(monkeypatch):
    """Streamlit makes a download when it is clicked, in a thread of its own: ui.in_this_run
    carries the run's audience there (an interne's CSV of exact counts is not refused, and a
    lecteur's run never lends its thread exact counts)."""
    from webapp import ui

    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)

    def interne_run():
        audience.set_exact_counts(True)
        return ui.in_this_run(disclosure.masking_active), (lambda: disclosure.masking_active())

    carried, bare = _in_thread(interne_run)
    assert _in_thread(carried) is False  # still the interne's run
    assert _in_thread(bare) is True  # without it, the download thread is a lecteur
    assert _in_thread(ui.in_this_run(disclosure.masking_active)) is True  # a lecteur's run
