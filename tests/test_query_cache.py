"""The query layer's own cache (observatoire/warehouse.py, no Streamlit): least recently
used entries go first, every caller gets its own copy, threads share it safely."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from observatoire.warehouse import QueryCache


def test_lru_keeps_the_most_recent_entries():
    calls = []

    def compute(key):
        calls.append(key)
        return pd.DataFrame({"v": [key]})

    cache = QueryCache(compute, max_entries=2)
    cache(1), cache(2), cache(1), cache(3)  # 2 is the least recently used: evicted
    assert len(cache) == 2
    cache(1), cache(3)
    assert calls == [1, 2, 3]
    cache(2)
    assert calls == [1, 2, 3, 2]
    cache.clear()
    assert len(cache) == 0


def test_callers_cannot_change_what_the_next_one_reads():
    cache = QueryCache(lambda key: pd.DataFrame({"v": [1, 2]}), max_entries=4)
    first = cache("q")
    first.loc[0, "v"] = 99
    first["extra"] = 0
    assert cache("q").to_dict("list") == {"v": [1, 2]}


def test_threads_share_one_cache():
    cache = QueryCache(lambda key: pd.DataFrame({"v": [key]}), max_entries=8)
    errors = []

    def work(offset):
        try:
            for i in range(200):
                assert cache((i + offset) % 12)["v"].iloc[0] == (i + offset) % 12
        except AssertionError as error:  # pragma: no cover
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(cache) == 8


def test_one_computation_for_sessions_asking_the_same_thing():
    calls = []
    started = threading.Event()

    def slow(key):
        calls.append(key)
        started.set()
        time.sleep(0.2)
        return pd.DataFrame({"v": [key]})

    cache = QueryCache(slow, max_entries=4)
    first = threading.Thread(target=cache, args=("q",))
    first.start()
    started.wait()
    others = [threading.Thread(target=cache, args=("q",)) for _ in range(3)]
    for thread in [*others]:
        thread.start()
    for thread in [first, *others]:
        thread.join()
    assert calls == ["q"]


def test_a_failed_computation_is_not_cached():
    outcomes = iter([RuntimeError("busy"), pd.DataFrame({"v": [1]})])

    def flaky(key):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    cache = QueryCache(flaky, max_entries=4)
    with pytest.raises(RuntimeError):
        cache("q")
    assert cache("q")["v"].tolist() == [1]
