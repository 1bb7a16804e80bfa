"""The shared password's lockout holds where no client can reset it: not in Streamlit's
caches (which any client can empty with a « clear_cache » message), but in an owner-only
file next to the warehouse, shared by every session and server process."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from observatoire import lockout

DATA = Path(__file__).parent / "data" / "load"
ROOT = Path(__file__).resolve().parent.parent


def test_file_guard_locks_across_instances_and_processes(tmp_path):
    path = tmp_path / "w.duckdb.mot-de-passe.json"
    now = [time.time()]  # the other process reads the real clock
    guard = lockout.PasswordGuard(path, clock=lambda: now[0])
    assert [guard.check("x", "secret") for _ in range(4)] == ["wrong"] * 4
    # Another instance (another session, or a process that restarted) sees the same count.
    other = lockout.PasswordGuard(path, clock=lambda: now[0])
    assert other.check("x", "secret") == "locked"
    assert guard.check("secret", "secret") == "locked"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Another process too.
    code = (
        "import sys; from pathlib import Path; from observatoire import lockout;"
        "print(lockout.PasswordGuard(Path(sys.argv[1])).check('secret', 'secret'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert out.stdout.strip() == "locked", out.stderr
    now[0] += lockout.LOCK_MINUTES * 60 + 1
    assert guard.check("secret", "secret") == "ok"


def test_damaged_file_starts_a_new_count(tmp_path):
    path = tmp_path / "g.json"
    path.write_text("pas du json")
    guard = lockout.PasswordGuard(path)
    assert guard.check("x", "secret") == "wrong"
    assert guard.locked_for_s() == 0


def test_lock_holds_after_clients_empty_the_caches(app, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_UPLOAD_PASSWORD", "secret")
    monkeypatch.delenv("OBSERVATOIRE_GESTIONNAIRES", raising=False)
    at = app.run()
    at.switch_page("views/data.py").run()
    for _attempt in range(lockout.MAX_FAILURES):
        at.file_uploader[0].set_value(
            ("d.csv", (DATA / "distributions_rules.csv").read_bytes(), "text/csv")
        )
        at.text_input(key="upload_password").input("mauvais")
        next(b for b in at.button if b.label == "Charger").click().run()
        assert not at.exception
    assert "verrouillé" in at.error[0].value
    # What a client's « clear_cache » message does.
    st.cache_resource.clear()
    st.cache_data.clear()
    other = AppTest.from_file(app._script_path, default_timeout=60).run()
    other.switch_page("views/data.py").run()
    assert any("verrouillé" in w.value for w in other.warning)
    # Even the right password is refused while locked.
    other.file_uploader[0].set_value(
        ("d.csv", (DATA / "distributions_rules.csv").read_bytes(), "text/csv")
    )
    other.text_input(key="upload_password").input("secret")
    next(b for b in other.button if b.label == "Charger").click().run()
    assert "verrouillé" in other.error[0].value
    assert not other.success
