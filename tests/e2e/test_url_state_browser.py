"""Page state in the address, in a real Chromium: an old Objectifs link is rewritten with
`niveau`, and the browser's back button brings back the previous choice."""

from __future__ import annotations

from tests.e2e.conftest import wait_for_app


def _settled(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )


def test_old_link_is_rewritten_and_back_restores_the_choice(streamlit_server, browser_page):
    page = browser_page
    page.goto(f"{streamlit_server}/objectifs?echelon=Communes")
    wait_for_app(page)
    page.get_by_role("heading", name="Par territoire").wait_for()
    page.wait_for_function("() => location.search.includes('niveau=commune')")
    assert "echelon" not in page.url
    toggle = page.get_by_label("Les plus en retard d'abord")
    assert not toggle.is_checked()
    page.get_by_role("paragraph").filter(has_text="Les plus en retard d'abord").click()
    page.wait_for_function("() => location.search.includes('retard=1')")
    _settled(page)
    assert toggle.is_checked()
    page.go_back()
    page.wait_for_function("() => !location.search.includes('retard=1')")
    _settled(page)
    assert not toggle.is_checked()
    assert "niveau=commune" in page.url
