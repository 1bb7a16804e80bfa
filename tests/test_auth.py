"""Roles from settings, the password fallback's lockout, the upload checks, and the pages under
each role (AppTest with a seeded st.user and an [auth] section)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core.settings import get_settings
from observatoire import auth, uploads
from tests.test_map_pages import COUBRON, _metrics, _overview, small_app  # noqa: F401
from webapp import identity

DATA = Path(__file__).parent / "data" / "load"
AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret-not-a-real-one",
        "client_id": "observatoire",
        "client_secret": "test-client-secret",
        "server_metadata_url": "http://localhost:1/.well-known/openid-configuration",
    }
}


def _user(email: str, verified: bool | None = True, **claims) -> dict:
    user = {"is_logged_in": True, "email": email, **claims}
    if verified is not None:
        user["email_verified"] = verified
    return user


@pytest.fixture
def roles(monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_GESTIONNAIRES", "Chef@Ville.fr, @seinesaintdenis.fr")
    monkeypatch.setenv("OBSERVATOIRE_INTERNES", "stat@ville.fr,@insee.fr")
    monkeypatch.delenv("OBSERVATOIRE_INTERNAL_MODE", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_UPLOAD_PASSWORD", raising=False)
    return get_settings()


def test_roles_from_settings(roles):
    assert auth.resolve(None, roles).roles == ["lecteur"]
    assert auth.resolve({"is_logged_in": False}, roles).roles == ["lecteur"]
    chef = auth.resolve(_user("chef@ville.fr", given_name="Ana", usual_name="Diallo"), roles)
    assert chef.gestionnaire and not chef.interne and chef.role_label == "gestionnaire"
    assert chef.shown_name == "Ana Diallo (chef@ville.fr)"
    agent = auth.resolve(_user("X.Y@SeineSaintDenis.fr"), roles)
    assert agent.gestionnaire and agent.email == "x.y@seinesaintdenis.fr"
    stat = auth.resolve(_user("stat@ville.fr"), roles)
    assert stat.interne and not stat.gestionnaire and stat.roles == ["interne"]
    # Domains match exactly: no subdomain, no look-alike suffix, no other address there.
    for email in (
        "a@sub.seinesaintdenis.fr",
        "a@seinesaintdenis.fr.evil.com",
        "a@evilseinesaintdenis.fr",
        "other@ville.fr",
        "chef@ville.fr@evil.com",
    ):
        assert auth.resolve(_user(email), roles).roles == ["lecteur"], email
    # Without a claim the e-mail counts; a provider that says « not verified » gives nothing.
    assert auth.resolve(_user("chef@ville.fr", verified=None), roles).gestionnaire
    for unverified in (False, "false"):
        person = auth.resolve(_user("chef@ville.fr", verified=unverified), roles)
        assert person.signed_in and person.roles == ["lecteur"] and person.email is None
        assert person.email_unverified
    assert auth.resolve(_user("chef@ville.fr", verified="true"), roles).gestionnaire


def test_internal_mode_makes_everyone_interne(roles, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_INTERNAL_MODE", "1")
    settings = get_settings()
    assert auth.resolve(None, settings).interne
    assert auth.resolve(_user("chef@ville.fr"), settings).roles == ["gestionnaire", "interne"]


def test_password_lockout():
    now = [1000.0]
    guard = auth.PasswordGuard(clock=lambda: now[0])
    for _ in range(4):
        assert guard.check("mauvais", "secret") == "wrong"
    assert guard.check("secret", "secret") == "ok"  # a right one resets the count
    for _ in range(4):
        assert guard.check("mauvais", "secret") == "wrong"
    assert guard.check("mauvais", "secret") == "locked"  # the 5th wrong one locks
    assert guard.check("secret", "secret") == "locked"  # even the right one, now
    message = guard.message("locked")
    assert "verrouillé" in message and "15 minutes" in message
    now[0] += auth.LOCK_MINUTES * 60 - 30
    assert guard.check("secret", "secret") == "locked"
    assert "1 minute." in guard.message("locked")
    now[0] += 31
    assert guard.check("secret", "secret") == "ok"
    assert guard.message("wrong") == "Mot de passe de dépôt incorrect."


def test_size_limit_and_display_name():
    assert uploads.too_large(50 * uploads.MEGABYTE, 50) is None
    refusal = uploads.too_large(50 * uploads.MEGABYTE + 1, 50)
    assert refusal.startswith("Fichier refusé") and "50 Mo" in refusal and "50,0 Mo" in refusal
    assert uploads.server_max_upload_mb(50) == 100
    assert uploads.display_name("../../etc/passwd") == "passwd"
    assert uploads.display_name("C:\\Users\\x\\dist.csv") == "dist.csv"
    assert uploads.display_name("..\u202eexe.csv\n") == "exe.csv"
    assert uploads.display_name("/") == "fichier" and uploads.display_name(None) == "fichier"
    long = uploads.display_name("a" * 300 + ".xlsx")
    assert len(long) == 120 and long.endswith(".xlsx")


# --- pages under each role (AppTest) ---------------------------------------------------


def _data_page(app, user: dict | None):
    app.secrets = AUTH
    if user is not None:
        app.user = user
    at = app.run()
    at.switch_page("views/data.py").run()
    assert not at.exception, at.exception
    return at


def _sidebar_text(at) -> str:
    return " ".join(m.value for m in at.sidebar.markdown) + " ".join(
        c.value for c in at.sidebar.caption
    )


def test_reader_sees_no_upload_no_rejects_and_no_addresses(app, roles, demo_db):
    from etl.load import load_file

    load_file(demo_db, "distributions", DATA / "distributions_rules.csv", loaded_by="chef@ville.fr")
    at = _data_page(app, None)
    assert "Non connecté — rôle : lecteur" in _sidebar_text(at)
    assert [b.label for b in at.sidebar.button] == ["Se connecter"]
    assert len(at.file_uploader) == 0 and not any(b.label == "Retirer" for b in at.button)
    assert any("réservés aux gestionnaires" in i.value for i in at.info)
    assert len(at.dataframe) == 1  # the loads, not the rejects
    assert "personne connectée" in set(at.dataframe[0].value["Chargé par"])
    assert "chef@ville.fr" not in set(at.dataframe[0].value["Chargé par"])
    # Signed in, but not listed: still a lecteur.
    at = _data_page(app, _user("other@ville.fr"))
    assert "rôle : lecteur" in _sidebar_text(at)
    assert [b.label for b in at.sidebar.button] == ["Se déconnecter"]
    assert len(at.file_uploader) == 0


def test_replayed_widget_state_gives_a_reader_nothing(app, roles, demo_db):
    """A gestionnaire's form, then the same session signed out: the kept widget values
    (file, « Charger ») no longer do anything: the role is checked on the server each run."""
    at = _data_page(app, _user("chef@ville.fr"))
    at.file_uploader[0].set_value(
        ("d.csv", (DATA / "distributions_rules.csv").read_bytes(), "text/csv")
    )
    at.user = {"is_logged_in": False}
    next(b for b in at.button if b.label == "Charger").click().run()
    assert not at.exception
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute("SELECT count(*) FROM loads").fetchone() == (
        6,
    )  # reference, demo, contours, three shipped need-side loads
    con.close()
    assert len(at.file_uploader) == 0


def test_gestionnaire_loads_sees_their_name_and_removes(app, roles, demo_db):
    at = _data_page(app, _user("chef@ville.fr", given_name="Ana", usual_name="Diallo"))
    assert "Ana Diallo" in _sidebar_text(at) and "rôle : gestionnaire" in _sidebar_text(at)
    at.file_uploader[0].set_value(
        ("../../x/dist.csv", (DATA / "distributions_rules.csv").read_bytes(), "text/csv")
    )
    next(b for b in at.button if b.label == "Charger").click().run()
    assert not at.exception, at.exception
    assert "Chargement n°" in at.success[0].value
    loads = at.dataframe[0].value
    new = loads[loads["Type"] == "distributions"].iloc[0]
    assert new["Chargé par"] == "chef@ville.fr" and new["Fichier"] == "dist.csv"
    assert len(at.dataframe) >= 2  # the rejects, for a gestionnaire
    unload_form = [s for s in at.selectbox if s.label == "Chargement"][-1]
    unload_form.set_value(int(new["N°"]))
    next(c for c in at.checkbox if c.label.startswith("Je confirme")).check()
    next(b for b in at.button if b.label == "Retirer").click().run()
    assert not at.exception, at.exception
    assert f"Chargement n° {new['N°']} retiré" in at.success[0].value
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute(
        "SELECT removed_by FROM loads WHERE load_id = ?", [int(new["N°"])]
    ).fetchone() == ("chef@ville.fr",)
    assert con.execute(
        "SELECT count(*) FROM distributions WHERE load_id = ?", [int(new["N°"])]
    ).fetchone() == (0,)
    con.close()


def test_oversized_file_is_refused_before_reading(app, roles, demo_db, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_UPLOAD_MAX_MB", "1")
    at = _data_page(app, _user("chef@ville.fr"))
    at.file_uploader[0].set_value(("big.csv", b"x" * (uploads.MEGABYTE + 10), "text/csv"))
    next(b for b in at.button if b.label == "Charger").click().run()
    assert "au-delà de la limite de 1 Mo" in at.error[0].value
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute("SELECT count(*) FROM loads").fetchone() == (
        6,
    )  # nothing loaded beyond what init built
    con.close()


def test_password_fallback_is_off_once_sign_in_is_configured(app, roles, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_UPLOAD_PASSWORD", "secret")
    at = _data_page(app, None)
    assert len(at.file_uploader) == 0
    assert not any(t.label == "Mot de passe de dépôt" for t in at.text_input)


def test_password_fallback_locks_after_five_attempts(app, roles, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_UPLOAD_PASSWORD", "secret")
    identity.password_guard.clear()
    at = app.run()
    at.switch_page("views/data.py").run()
    for _attempt in range(5):
        at.file_uploader[0].set_value(
            ("d.csv", (DATA / "distributions_rules.csv").read_bytes(), "text/csv")
        )
        at.text_input(key="upload_password").input("mauvais")
        next(b for b in at.button if b.label == "Charger").click().run()
        assert not at.exception
    assert "verrouillé" in at.error[0].value
    # A new session (another tab) is locked too: the count lives in the server process.
    from streamlit.testing.v1 import AppTest

    other = AppTest.from_file(app._script_path, default_timeout=60).run()
    other.switch_page("views/data.py").run()
    assert any("verrouillé" in w.value for w in other.warning)
    identity.password_guard.clear()


def test_interne_sees_exact_counts_reader_does_not(small_app, roles):  # noqa: F811
    small_app.secrets = AUTH
    at = _overview(small_app, commune=COUBRON)
    assert _metrics(at)["Personnes touchées"] == "< 5"
    small_app.user = _user("stat@ville.fr")
    at = _overview(small_app, commune=COUBRON)
    assert _metrics(at)["Personnes touchées"] == "3"
    assert "rôle : interne" in _sidebar_text(at)
