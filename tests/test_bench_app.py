"""The reference apps of the start-time benchmark (bench/bench_app.py): the empty app shows
only its title; the floor app its title and exactly one Plotly figure, so that « floor » is
the cost of any page that draws a Plotly figure, no more."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench_app():
    spec = importlib.util.spec_from_file_location("bench_app", ROOT / "bench" / "bench_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_empty_app_shows_only_a_title(bench_app):
    at = AppTest.from_string(bench_app.EMPTY_APP).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["x"]
    assert not at.get("plotly_chart")


def test_floor_app_draws_one_small_plotly_figure(bench_app):
    at = AppTest.from_string(bench_app.FLOOR_APP).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["x"]
    (chart,) = at.get("plotly_chart")
    figure = json.loads(chart.proto.spec)
    assert [trace["type"] for trace in figure["data"]] == ["bar"]
    assert len(figure["data"][0]["x"]) == 3


def test_start_report_keeps_the_keys_run_py_reads(bench_app, monkeypatch):
    """measure_start's report, with the servers and the browser replaced by instant fakes."""

    class FakeServer:
        url = "http://127.0.0.1:1"

        def __init__(self, script, db):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    class FakePage:
        def on(self, event, handler):
            pass

        def goto(self, url):
            pass

        def wait_for_selector(self, selector, state):
            time.sleep(0.001)  # never a zero duration (the ratios divide by them)

        def locator(self, selector):
            return FakeLocator()

    class FakeLocator:
        def count(self):
            return 0

    class FakeContext:
        def close(self):
            pass

    monkeypatch.setattr(bench_app, "Server", FakeServer)
    monkeypatch.setattr(bench_app, "_new_page", lambda browser: (FakeContext(), FakePage()))
    report = bench_app.measure_start(None, Path("w.duckdb"), repeats=2)
    for key in ("app", "empty", "floor", "app_health", "empty_health", "app_title"):
        assert report[key]["n"] == 2
    assert {"ratio", "floor_ratio"} <= set(report)
