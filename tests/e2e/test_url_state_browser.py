"""Page state in the address, in a real Chromium: an old Objectifs link is rewritten with
`niveau`, and the browser's back button brings back the previous choice."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app


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
    expect(toggle).to_be_checked(timeout=30_000)  # waits for the rerun that reads it
    page.go_back()
    page.wait_for_function("() => !location.search.includes('retard=1')")
    expect(toggle).not_to_be_checked(timeout=30_000)
    assert "niveau=commune" in page.url
