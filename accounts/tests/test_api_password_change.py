from __future__ import annotations

from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens
from conftest import PASSWORD

URL = "/api/v1/auth/password/change"
NEW_PASSWORD = "another long passphrase 42"


def test_it_changes_the_password(browser, alice):
    browser.login_as(alice)
    response = browser.post_with_csrf(
        URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["code"] == "password_changed"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_it_keeps_this_session_signed_in_with_new_cookies(browser, alice):
    login = browser.login_as(alice)
    response = browser.post_with_csrf(
        URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.cookies["access_token"].value != login.cookies["access_token"].value
    assert browser.get("/api/v1/auth/me").status_code == 200
    assert browser.post_with_csrf("/api/v1/auth/refresh").status_code == 200


def test_it_revokes_every_other_token(browser, script, alice):
    other_access, other_refresh = issue_tokens(alice)
    browser.login_as(alice)
    browser.post_with_csrf(URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert script.get("/api/v1/auth/me", **bearer(other_access)).status_code == 401
    response = script.post("/api/v1/auth/token/refresh", {"refresh": other_refresh})
    assert response.status_code == 401


def test_it_requires_the_current_password(browser, alice):
    browser.login_as(alice)
    response = browser.post_with_csrf(
        URL, {"current_password": "wrong", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 400
    assert "current_password" in response.json()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_applies_the_password_validators(browser, alice):
    browser.login_as(alice)
    response = browser.post_with_csrf(URL, {"current_password": PASSWORD, "new_password": "abc"})
    assert response.status_code == 400
    assert "new_password" in response.json()


def test_it_requires_a_csrf_token(browser, alice):
    browser.login_as(alice)
    response = browser.post(
        URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 403


def test_it_requires_authentication(script):
    response = script.post(URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 401
