"""`python -m etl`: help on every command, --db and OBSERVATOIRE_DB honoured, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from etl.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "etl", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_every_command_and_option_is_documented():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert {"init", "migrate", "status"} <= set(subparsers.choices)
    helps = {a.dest: a.help for a in subparsers._choices_actions}
    for name, sub in subparsers.choices.items():
        assert helps.get(name), f"{name} has no help"
        for action in sub._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.dest} has no help"


def test_init_with_db_option_and_status(tmp_path):
    db = tmp_path / "w.duckdb"
    result = _run("init", "--no-demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "prêt" in result.stdout and "référentiel" in result.stdout
    assert "contours des communes" in result.stdout
    again = _run("init", "--no-demo", "--db", str(db))
    assert "déjà" in again.stdout
    status = _run("status", "--db", str(db))
    assert status.returncode == 0 and "reference" in status.stdout


def test_environment_variable_selects_the_warehouse(tmp_path):
    db = tmp_path / "env.duckdb"
    result = _run("init", env={"OBSERVATOIRE_DB": str(db)})
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) > 0 FROM distributions WHERE is_demo").fetchone() == (True,)
    con.close()


def test_usage_error_exits_2(capsys):
    assert main(["frobnicate"]) == 2
    assert main(["--help"]) == 0


def test_status_without_warehouse_exits_1(tmp_path, capsys):
    assert main(["status", "--db", str(tmp_path / "missing.duckdb")]) == 1
    assert "python -m etl init" in capsys.readouterr().err
