"""POST /api/v1/auth/revoke: sign out everywhere, every session and personal API token."""

from __future__ import annotations

from accounts.api_tokens import create_api_token
from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens

URL = "/api/v1/auth/revoke"
ME = "/api/v1/auth/me"


def test_it_ends_every_session_and_api_token_of_the_caller(browser, script, alice, bob):
    other_access, other_refresh = issue_tokens(alice)
    _token, raw = create_api_token(alice, "laptop")
    bob_access, _bob_refresh = issue_tokens(bob)
    browser.login_as(alice)

    response = browser.post_with_csrf(URL)

    assert response.status_code == 204
    assert response.cookies["access_token"].value == ""
    assert browser.get(ME).status_code == 401
    assert script.get(ME, **bearer(other_access)).status_code == 401
    assert script.get(ME, **bearer(raw)).status_code == 401
    refreshed = script.post("/api/v1/auth/token/refresh", {"refresh": other_refresh})
    assert refreshed.status_code == 401
    assert script.get(ME, **bearer(bob_access)).status_code == 200


def test_it_works_with_an_api_token_and_revokes_that_one_too(script, alice):
    _token, raw = create_api_token(alice, "script")
    assert script.post(URL, **bearer(raw)).status_code == 204
    assert script.get(ME, **bearer(raw)).status_code == 401


def test_a_new_sign_in_works_afterwards(browser, alice):
    browser.login_as(alice)
    browser.post_with_csrf(URL)
    browser.login_as(alice)
    assert browser.get(ME).status_code == 200


def test_it_needs_a_csrf_token_from_a_browser(browser, alice):
    browser.login_as(alice)
    assert browser.post(URL).status_code == 403
    assert browser.get(ME).status_code == 200


def test_it_asks_anonymous_to_authenticate(script, db):
    assert script.post(URL).status_code == 401
