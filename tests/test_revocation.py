"""Signing out holds on the server: a copy of the session cookie taken before sign-out (the
same st.user claims, same `iat`) no longer grants anything; a token older than the
server-side session lifetime neither."""

from __future__ import annotations

import stat
import time

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import get_settings
from observatoire import revocation
from tests.test_auth import AUTH

ISS = "https://sso.example"


def _claims(email="chef@ville.fr", iat=None, **more) -> dict:
    claims = {"is_logged_in": True, "email": email, "email_verified": True, "iss": ISS}
    claims["sub"] = more.pop("sub", email)
    if iat is not None:
        claims["iat"] = iat
    return {**claims, **more}


def test_revocation_by_issue_time(tmp_path):
    path = tmp_path / "w.duckdb.deconnexions.json"
    t = time.time()
    before, other = _claims(iat=t - 60), _claims("autre@ville.fr", iat=t - 60)
    assert not revocation.is_revoked(before, path, now=t)
    revocation.record_sign_out(before, path, now=t)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert revocation.is_revoked(before, path, now=t + 1)  # the copied cookie
    assert not revocation.is_revoked(other, path, now=t + 1)  # someone else
    assert not revocation.is_revoked(_claims(iat=t + 5), path, now=t + 10)  # signed in again
    # Same person by subject, whatever the e-mail says; a token that cannot be dated is out.
    assert revocation.is_revoked(_claims("nouvelle@ville.fr", sub="chef@ville.fr"), path, t)
    assert revocation.is_revoked(_claims(), path, now=t + 1)
    assert revocation.is_revoked(_claims(iat="pas une date"), path, now=t + 1)
    # Anonymous visitors are never « revoked ».
    assert not revocation.is_revoked({"is_logged_in": False}, path)
    assert not revocation.is_revoked(None, path)


def test_e_mail_of_someone_else_does_not_revoke_them(tmp_path):
    """An account claiming another person's (unverified) e-mail signs out: the real owner,
    another subject, stays signed in."""
    path = tmp_path / "r.json"
    t = time.time()
    revocation.record_sign_out(_claims("chef@ville.fr", sub="imposteur", iat=t - 5), path, t)
    assert not revocation.is_revoked(_claims("chef@ville.fr", iat=t - 60), path, now=t + 1)


def test_server_side_session_lifetime(tmp_path):
    path = tmp_path / "r.json"
    t = time.time()
    fresh = _claims(iat=t - (revocation.MAX_SESSION_HOURS * 3600 - 60))
    stale = _claims(iat=t - (revocation.MAX_SESSION_HOURS * 3600 + 60))
    assert not revocation.is_revoked(fresh, path, now=t)
    assert revocation.is_revoked(stale, path, now=t)


def test_old_entries_are_dropped(tmp_path):
    path = tmp_path / "r.json"
    t = time.time()
    revocation.record_sign_out(_claims("a@x.fr", iat=1), path, now=t - 40 * 24 * 3600)
    revocation.record_sign_out(_claims("b@x.fr", iat=1), path, now=t)
    assert set(revocation._read(path)) == {f"{ISS} b@x.fr"}


@pytest.fixture
def gestionnaires(monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_GESTIONNAIRES", "chef@ville.fr")
    monkeypatch.delenv("OBSERVATOIRE_UPLOAD_PASSWORD", raising=False)


def _data_page(script: str, claims: dict) -> AppTest:
    at = AppTest.from_file(script, default_timeout=60)
    at.secrets = AUTH
    at.user = claims
    at.run()
    at.switch_page("views/data.py").run()
    assert not at.exception, at.exception
    return at


def test_cookie_copied_before_sign_out_gives_nothing(app, gestionnaires):
    claims = _claims(iat=int(time.time()) - 30)
    at = _data_page(app._script_path, claims)
    assert len(at.file_uploader) == 1  # a gestionnaire
    next(b for b in at.sidebar.button if b.label == "Se déconnecter").click().run()
    assert not at.exception
    assert revocation.revocation_path(get_settings().db).exists()
    # The same claims, replayed from a copied cookie in another browser.
    replay = _data_page(app._script_path, claims)
    assert len(replay.file_uploader) == 0
    assert "réservés aux gestionnaires" in replay.info[0].value
    # Signing in again afterwards (a new token) works.
    again = _data_page(app._script_path, _claims(iat=int(time.time()) + 1))
    assert len(again.file_uploader) == 1
