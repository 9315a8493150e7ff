from __future__ import annotations

from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens

URL = "/api/v1/auth/me"


def test_it_shows_the_signed_in_user(browser, alice):
    browser.login_as(alice)
    body = browser.get(URL).json()
    assert body == {
        "id": str(alice.id),
        "email": "alice@example.org",
        "username": "alice",
        "full_name": "Alice Owner",
        "is_staff": False,
        "created_at": body["created_at"],
    }


def test_it_requires_authentication(script):
    response = script.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_changes_full_name_and_username(browser, alice):
    browser.login_as(alice)
    response = browser.patch_with_csrf(URL, {"full_name": "Alice B. Owner", "username": "alice2"})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.full_name, alice.username) == ("Alice B. Owner", "alice2")


def test_it_ignores_fields_a_user_may_not_change(browser, alice):
    browser.login_as(alice)
    browser.patch_with_csrf(URL, {"is_staff": True, "email": "mallory@example.org"})
    alice.refresh_from_db()
    assert not alice.is_staff
    assert alice.email == "alice@example.org"


def test_it_refuses_a_username_someone_else_has(browser, alice, bob):
    browser.login_as(alice)
    response = browser.patch_with_csrf(URL, {"username": "BOB"})
    assert response.status_code == 400
    assert "username" in response.json()


def test_it_requires_a_csrf_token_when_the_cookie_authenticates(browser, alice):
    browser.login_as(alice)
    response = browser.patch(URL, {"full_name": "X"}, format="json")
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.full_name == "Alice Owner"


def test_it_needs_no_csrf_token_with_a_bearer_token(browser, alice):
    access, _refresh = issue_tokens(alice)
    response = browser.patch(URL, {"full_name": "X"}, format="json", **bearer(access))
    assert response.status_code == 200
