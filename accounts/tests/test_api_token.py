from __future__ import annotations

from accounts.tests.conftest import bearer
from conftest import PASSWORD

URL = "/api/v1/auth/token"


def test_it_returns_tokens_in_the_body_and_sets_no_cookie(script, alice):
    response = script.post(URL, {"email": "alice@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert not response.cookies


def test_it_needs_no_csrf_token(browser, alice):
    response = browser.post(
        URL, {"email": "alice@example.org", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200


def test_its_access_token_works_as_bearer_without_cookies_or_csrf(browser, alice):
    access = browser.post(
        URL, {"email": "alice@example.org", "password": PASSWORD}, format="json"
    ).json()["access"]
    assert not browser.cookies.get("access_token")
    assert browser.get("/api/v1/auth/me", **bearer(access)).json()["username"] == "alice"
    response = browser.patch(
        "/api/v1/auth/me", {"full_name": "Scripted"}, format="json", **bearer(access)
    )
    assert response.status_code == 200


def test_it_answers_the_generic_401_for_wrong_credentials(script, alice):
    response = script.post(URL, {"email": "alice@example.org", "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    unknown = script.post(URL, {"email": "nobody@example.org", "password": "wrong"})
    assert unknown.json() == response.json()
