"""Signing out holds on the server, in a real Chromium through a real OpenID Connect flow: the
session cookie copied before « Se déconnecter » and replayed in a fresh browser gives a
reader, not a gestionnaire."""

from __future__ import annotations

from tests.e2e.test_auth_browser import (  # noqa: F401 (fixtures)
    GESTIONNAIRE,
    _ready,
    _sidebar,
    _sign_in,
    context_page,
    provider,
    signed_in_server,
)


def _end_provider_session(page, base: str) -> None:
    """Streamlit's sign-out goes through the provider's end_session page, which asks to
    confirm, then comes back to the dashboard."""
    page.wait_for_url(lambda url: "end_session" in url, timeout=180_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(
        lambda url: url.startswith(base) and "oauth2callback" not in url, timeout=180_000
    )
    _ready(page)


def test_cookie_copied_before_sign_out_gives_a_reader(
    signed_in_server,  # noqa: F811
    context_page,  # noqa: F811
    browser,
):
    base, page = signed_in_server.url, context_page
    _sign_in(page, base, GESTIONNAIRE)
    assert "rôle : gestionnaire" in _sidebar(page)
    copied = [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]
    assert copied
    page.get_by_role("button", name="Se déconnecter").click()
    _end_provider_session(page, base)
    assert "rôle : lecteur" in _sidebar(page)

    # The copy, in another browser: the server signs it out again.
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    try:
        replay = context.new_page()
        replay.set_default_timeout(120_000)
        context.add_cookies(copied)
        replay.goto(f"{base}/donnees")
        _end_provider_session(replay, base)
        replay.goto(f"{base}/donnees")
        _ready(replay)
        replay.get_by_text("réservés aux gestionnaires").wait_for()
        assert replay.locator("input[type=file]").count() == 0
        assert "Non connecté — rôle : lecteur" in _sidebar(replay)
        assert not [c for c in context.cookies() if c["name"].startswith("_streamlit_user")]
    finally:
        context.close()
