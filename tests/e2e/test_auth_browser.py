"""Sign-in and roles in a real Chromium, through a real OpenID Connect flow: the dashboard
(st.login) against an OpenID Connect provider that the test starts on a loopback port
(oidc-provider-mock). A reader reaches neither the upload nor exact counts; a gestionnaire
signs in, loads a file, sees their name on the load and removes it; an interne sees exact
counts. The provider's client secret never shows in the server log."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import duckdb
import pytest

from etl.build import init_warehouse
from etl.load import load_file
from tests.e2e.conftest import SCREENSHOTS, StreamlitServer, full_screenshot

DATA = Path(__file__).resolve().parents[1] / "data" / "load"
GESTIONNAIRE = "chef.projet@seinesaintdenis.fr"
INTERNE = "statisticienne@ville-test.fr"
LECTEUR = "habitant@exemple.fr"
UNVERIFIED = "faux@seinesaintdenis.fr"
COUBRON = "93015"  # 3 people: « < 5 » for a reader
SMALL = (
    "date;commune;programme;item;quantite\n"
    "2021-01-10;Coubron;emmaus-connect-2020;ordinateur;3\n"
    "2021-01-12;Montreuil;emmaus-connect-2020;ordinateur;120\n"
    "2021-01-11;Bondy;emmaus-connect-2020;ordinateur;40\n"
)


@pytest.fixture(scope="module")
def provider():
    """A real OpenID Connect provider on a loopback port, with four people."""
    from oidc_provider_mock import User, run_server_in_thread

    def person(email: str, given: str, usual: str, verified: bool = True) -> User:
        return User(
            sub=email,
            claims={
                "email": email,
                "email_verified": verified,
                "given_name": given,
                "family_name": usual,
                "name": f"{given} {usual}",
            },
        )

    users = [
        person(GESTIONNAIRE, "Camille", "Gestion"),
        person(INTERNE, "Inès", "Interne"),
        person(LECTEUR, "Léo", "Lecteur"),
        person(UNVERIFIED, "Faux", "Compte", verified=False),
    ]
    with run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def signed_in_server(provider, tmp_path_factory, chromium):
    """The dashboard with sign-in configured in a secrets file outside the repository."""
    folder = tmp_path_factory.mktemp("auth")
    db = folder / "observatoire.duckdb"
    init_warehouse(db, with_demo=False)
    load_file(db, "distributions", SMALL.encode(), file_name="petits.csv", loaded_by="cli")
    client_secret = "client-secret-" + secrets.token_hex(16)
    cookie_secret = "cookie-secret-" + secrets.token_hex(16)
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{cookie_secret}"\n'
        'client_id = "observatoire-test"\n'
        f'client_secret = "{client_secret}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    server = StreamlitServer(
        db,
        env={
            "STREAMLIT_SECRETS_FILES": str(secrets_file),
            "STREAMLIT_LOGGER_LEVEL": "debug",
            "OBSERVATOIRE_GESTIONNAIRES": "@seinesaintdenis.fr",
            "OBSERVATOIRE_INTERNES": INTERNE,
            "OBSERVATOIRE_UPLOAD_PASSWORD": "",
            "OBSERVATOIRE_INTERNAL_MODE": "0",
        },
    )
    server.db = db
    server.secrets = (client_secret, cookie_secret)
    yield server
    server.stop()


@pytest.fixture
def context_page(browser):
    """A fresh browser context (its own cookies) and page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(120_000)  # a shared, busy machine: slow but not stuck
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield page
    context.close()


def _ready(page) -> None:
    """wait_for_app, with room for a busy machine."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_selector("h1")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=180_000
    )


def _sidebar(page) -> str:
    return page.locator("[data-testid='stSidebar']").inner_text()


def _sign_in(page, base: str, email: str) -> None:
    """« Se connecter » in the sidebar, then the provider's page: choose the person."""
    page.goto(f"{base}/donnees")  # a light page: the button is there on every page
    _ready(page)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/oauth2/authorize" in url)
    page.get_by_role("button", name=email, exact=True).click()
    page.wait_for_url(lambda url: url.startswith(base) and "oauth2callback" not in url)
    _ready(page)
    page.get_by_text("Connecté :").wait_for()


def _people_reached(page, base: str) -> str:
    """The overview's « Personnes touchées » for Coubron, once the page has finished."""
    page.goto(f"{base}/?commune={COUBRON}")
    value = page.locator("[data-testid='stMetric']", has_text="Personnes touchées").first.locator(
        "[data-testid='stMetricValue']"
    )
    value.wait_for(timeout=180_000)
    _ready(page)
    return value.inner_text()


def test_reader_reaches_neither_upload_nor_exact_counts(signed_in_server, context_page):
    base, page = signed_in_server.url, context_page
    page.goto(f"{base}/donnees")
    _ready(page)
    assert "Non connecté — rôle : lecteur" in _sidebar(page)
    page.get_by_text("réservés aux gestionnaires").wait_for()
    assert page.locator("input[type=file]").count() == 0
    assert page.get_by_role("button", name="Charger", exact=True).count() == 0
    assert page.get_by_role("button", name="Retirer").count() == 0
    # Nothing in the address opens them: query parameters are not read for rights.
    for query in ("?role=gestionnaire", "?upload=1&interne=1", "?is_logged_in=true"):
        page.goto(f"{base}/donnees{query}")
        _ready(page)
        page.get_by_text("réservés aux gestionnaires").wait_for()
        assert page.locator("input[type=file]").count() == 0
    # A forged identity cookie (not signed with the server's cookie secret) is ignored.
    forged = json.dumps({"is_logged_in": True, "email": GESTIONNAIRE, "email_verified": True})
    page.context.add_cookies([{"name": "_streamlit_user", "value": forged, "url": base}])
    page.goto(f"{base}/donnees")
    _ready(page)
    page.get_by_text("réservés aux gestionnaires").wait_for()
    assert page.locator("input[type=file]").count() == 0
    assert "rôle : lecteur" in _sidebar(page)
    # Small counts stay masked.
    assert _people_reached(page, base) == "< 5"
    full_screenshot(page, "connexion-lecteur.png")


def test_signed_in_reader_and_unverified_email_get_no_rights(signed_in_server, context_page):
    base, page = signed_in_server.url, context_page
    _sign_in(page, base, UNVERIFIED)
    assert "rôle : lecteur" in _sidebar(page)
    assert "n'a pas vérifié votre adresse" in _sidebar(page)
    page.goto(f"{base}/donnees")
    _ready(page)
    page.get_by_text("réservés aux gestionnaires").wait_for()
    assert page.locator("input[type=file]").count() == 0


def test_gestionnaire_loads_sees_their_name_and_removes(signed_in_server, context_page):
    base, page, db = signed_in_server.url, context_page, signed_in_server.db
    _sign_in(page, base, GESTIONNAIRE)
    assert "Camille Gestion" in _sidebar(page) and "rôle : gestionnaire" in _sidebar(page)
    page.goto(f"{base}/donnees")
    _ready(page)
    page.locator("input[type=file]").set_input_files(str(DATA / "distributions_rules.csv"))
    page.get_by_text("_rules.csv").first.wait_for()  # shown shortened: « distrib..._rules.csv »
    page.get_by_role("button", name="Charger", exact=True).click()
    success = page.locator("[data-testid='stAlertContentSuccess']").first
    success.wait_for(timeout=180_000)
    assert "Chargement n°" in success.inner_text()
    con = duckdb.connect(str(db), read_only=True)
    load_id, by = con.execute(
        "SELECT load_id, loaded_by FROM loads WHERE file_name = 'distributions_rules.csv'"
    ).fetchone()
    con.close()
    assert by == GESTIONNAIRE
    # The loads table (a canvas grid, with its accessible copy) names who loaded it.
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    page.wait_for_function(
        "(email) => [...document.querySelectorAll('[data-testid=stDataFrame] td')]"
        ".some(td => td.textContent.includes(email))",
        arg=GESTIONNAIRE,
    )
    full_screenshot(page, "connexion-gestionnaire-chargement.png", height=2600)

    # Remove it: choose it, confirm, « Retirer ».
    remove_box = page.locator("[data-testid='stForm']").nth(1)
    # The list also holds the shipped need-side reference loads: type to filter, as a
    # keyboard user would.
    chooser = remove_box.locator("[data-testid='stSelectbox'] input")
    chooser.click()
    chooser.fill(f"n° {load_id} —")
    page.get_by_role("option", name=f"n° {load_id} —", exact=False).first.wait_for()
    chooser.press("Enter")
    remove_box.get_by_text("Je confirme").click()
    remove_box.get_by_role("button", name="Retirer").click()
    done = page.locator("[data-testid='stAlertContentSuccess']", has_text="retiré").first
    done.wait_for(timeout=180_000)
    assert f"Chargement n° {load_id} retiré" in done.inner_text()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT removed_by FROM loads WHERE load_id = ?", [load_id]).fetchone() == (
        GESTIONNAIRE,
    )
    assert con.execute(
        "SELECT count(*) FROM distributions WHERE load_id = ?", [load_id]
    ).fetchone() == (0,)
    con.close()
    full_screenshot(page, "connexion-gestionnaire-retrait.png", height=2600)

    # « Se déconnecter »: back to a reader.
    page.get_by_role("button", name="Se déconnecter").click()
    # Streamlit ends the provider's session too (its end_session_endpoint), which asks to
    # confirm, then comes back through /oauth2callback to the home page.
    page.wait_for_url(lambda url: "end_session" in url, timeout=180_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(
        lambda url: url.startswith(base) and "oauth2callback" not in url, timeout=180_000
    )
    _ready(page)
    page.get_by_role("button", name="Se connecter").wait_for()
    assert "rôle : lecteur" in _sidebar(page)


def test_interne_sees_exact_counts(signed_in_server, context_page):
    base, page = signed_in_server.url, context_page
    _sign_in(page, base, INTERNE)
    assert "rôle : interne" in _sidebar(page)
    assert _people_reached(page, base) == "3"
    page.goto(f"{base}/donnees")
    _ready(page)
    assert page.locator("input[type=file]").count() == 0  # interne is not gestionnaire
    full_screenshot(page, "connexion-interne.png")


def test_no_identity_provider_secret_in_the_server_log(signed_in_server, context_page):
    """A sign-in of its own first (whatever ran before), then the whole log is read."""
    _sign_in(context_page, signed_in_server.url, INTERNE)
    log = signed_in_server.log
    log.seek(0)
    text = log.read().decode(errors="replace")
    assert "oauth2callback" in text or "auth" in text.lower()  # debug log: it did log
    for secret in signed_in_server.secrets:
        assert secret not in text
