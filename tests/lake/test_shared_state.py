"""On a DuckLake, the shared password's lockout and the sign-outs are kept in the catalog
(PostgreSQL), not in a file beside OBSERVATOIRE_DB: servers on several machines share them, so
that N servers do not give N × 5 password attempts, nor accept on one machine a cookie signed
out on another. Each « server » here is its own process with only the lake's settings."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from observatoire import lockout, revocation, state_file
from tests.lake.conftest import lake_env

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = {"is_logged_in": True, "iss": "https://idp", "sub": "chef@ville.fr"}


def _other_server(lake, tmp_path: Path, code: str) -> str:
    """Run CODE in another process on LAKE, its OBSERVATOIRE_DB in a folder of its own (another
    machine's disk)."""
    env = lake_env(lake) | {"OBSERVATOIRE_DB": str(tmp_path / "autre" / "o.duckdb")}
    (tmp_path / "autre").mkdir(exist_ok=True)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_lockout_is_shared_by_servers_on_the_lake(lake, use_lake, monkeypatch, tmp_path):
    monkeypatch.setenv("OBSERVATOIRE_DB", str(tmp_path / "ici.duckdb"))
    use_lake(lake)
    lockout.reset()
    guard = lockout.password_guard()
    assert isinstance(guard.path, state_file.CatalogState)
    assert [guard.check("x", "secret") for _ in range(3)] == ["wrong"] * 3
    wrong = "from observatoire import lockout; print(lockout.password_guard().check('x', 's'))"
    assert _other_server(lake, tmp_path, wrong) == "wrong"  # the 4th, on another server
    assert guard.check("x", "secret") == "locked"  # the 5th locks every server
    right = "from observatoire import lockout; print(lockout.password_guard().check('s', 's'))"
    assert _other_server(lake, tmp_path, right) == "locked"
    assert not list(tmp_path.rglob("*.json"))  # nothing beside a warehouse file
    lockout.reset()
    assert lockout.password_guard().check("secret", "secret") == "ok"


def test_a_sign_out_on_one_server_holds_on_the_others(lake, use_lake, monkeypatch, tmp_path):
    monkeypatch.setenv("OBSERVATOIRE_DB", str(tmp_path / "ici.duckdb"))
    use_lake(lake)
    claims = CLAIMS | {"iat": int(time.time()) - 60}
    assert not revocation.signed_out(claims)
    code = (
        "from observatoire import revocation; "
        f"revocation.sign_out({claims!r}); print(revocation.signed_out({claims!r}))"
    )
    assert _other_server(lake, tmp_path, code) == "True"
    assert revocation.signed_out(claims)  # the copied cookie, replayed on this server
    assert not revocation.signed_out(CLAIMS | {"iat": int(time.time()) + 5})  # signed in again
