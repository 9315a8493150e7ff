from __future__ import annotations

from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens

URL = "/api/v1/auth/logout"


def test_it_clears_the_cookies(browser, alice):
    browser.login_as(alice)
    response = browser.post_with_csrf(URL)
    assert response.status_code == 204
    for name in ("access_token", "refresh_token", "refresh_hint"):
        assert response.cookies[name].value == ""
        assert response.cookies[name]["max-age"] == 0
    assert response.cookies["refresh_token"]["path"] == "/api/v1/auth/"
    assert browser.get("/api/v1/auth/me").status_code == 401


def test_it_rejects_the_old_access_token_afterwards(browser, alice):
    login = browser.login_as(alice)
    access = login.cookies["access_token"].value
    browser.post_with_csrf(URL)
    browser.cookies["access_token"] = access
    assert browser.get("/api/v1/auth/me").status_code == 401


def test_it_revokes_the_refresh_token(browser, alice):
    login = browser.login_as(alice)
    refresh = login.cookies["refresh_token"].value
    browser.post_with_csrf(URL)
    browser.cookies["refresh_token"] = refresh
    assert browser.post_with_csrf("/api/v1/auth/refresh").status_code == 401


def test_it_leaves_the_users_other_sessions_alone(browser, script, alice):
    other_access, _refresh = issue_tokens(alice)
    browser.login_as(alice)
    browser.post_with_csrf(URL)
    assert script.get("/api/v1/auth/me", **bearer(other_access)).status_code == 200


def test_it_requires_a_csrf_token_from_a_browser(browser, alice):
    browser.login_as(alice)
    assert browser.post(URL).status_code == 403
    assert browser.get("/api/v1/auth/me").status_code == 200


def test_it_revokes_a_bearer_token_without_csrf(script, alice):
    access, _refresh = issue_tokens(alice)
    assert script.post(URL, **bearer(access)).status_code == 204
    assert script.get("/api/v1/auth/me", **bearer(access)).status_code == 401


def test_it_succeeds_with_nothing_to_revoke(browser):
    assert browser.post_with_csrf(URL).status_code == 204


def test_it_succeeds_with_a_token_that_was_already_revoked(browser, alice):
    browser.login_as(alice)
    alice.token_version += 1
    alice.save()
    assert browser.post_with_csrf(URL).status_code == 204
