from __future__ import annotations

from conftest import PASSWORD

URL = "/api/v1/auth/login"


def test_it_signs_in_with_the_right_password(browser, alice):
    response = browser.post_with_csrf(URL, {"email": "alice@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert browser.get("/api/v1/auth/me").status_code == 200


def test_it_matches_the_email_in_any_case(browser, alice):
    response = browser.post_with_csrf(URL, {"email": " ALICE@Example.org", "password": PASSWORD})
    assert response.status_code == 200


def test_it_records_the_login(browser, alice):
    browser.login_as(alice)
    alice.refresh_from_db()
    assert alice.last_login is not None


def test_it_sets_httponly_lax_cookies_that_live_as_long_as_the_tokens(browser, alice, settings):
    settings.AUTH_COOKIE_SECURE = True
    response = browser.login_as(alice)
    access = response.cookies["access_token"]
    refresh = response.cookies["refresh_token"]
    for cookie in (access, refresh):
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        assert cookie["secure"]
    assert access["path"] == "/"
    assert refresh["path"] == "/api/v1/auth/"
    assert access["max-age"] == settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    assert refresh["max-age"] == settings.REFRESH_TOKEN_EXPIRE_DAYS * 86400


def test_it_leaves_cookies_unsecured_when_told_to_for_plain_http(browser, alice, settings):
    settings.AUTH_COOKIE_SECURE = False
    response = browser.login_as(alice)
    assert not response.cookies["access_token"]["secure"]


def test_it_answers_one_generic_401_for_a_wrong_password_or_unknown_email(browser, alice):
    wrong = browser.post_with_csrf(URL, {"email": "alice@example.org", "password": "nope"})
    unknown = browser.post_with_csrf(URL, {"email": "nobody@example.org", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"
    assert "access_token" not in wrong.cookies


def test_it_refuses_a_deactivated_user_with_the_same_generic_401(browser, alice):
    alice.is_active = False
    alice.save()
    response = browser.post_with_csrf(URL, {"email": "alice@example.org", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_it_requires_a_csrf_token(browser, alice):
    response = browser.post(
        URL, {"email": "alice@example.org", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert "access_token" not in response.cookies


def test_it_refuses_a_csrf_token_that_does_not_match_the_cookie(browser, alice):
    browser.csrf_token()
    response = browser.post(
        URL,
        {"email": "alice@example.org", "password": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN="x" * 32,
    )
    assert response.status_code == 403


def test_it_answers_400_without_the_fields(browser):
    response = browser.post_with_csrf(URL, {})
    assert response.status_code == 400
    assert {"email", "password"} <= set(response.json())
