from __future__ import annotations

from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.tokens import issue_tokens

URL = "/api/v1/auth/refresh"


def test_it_rotates_both_cookies(browser, alice):
    login = browser.login_as(alice)
    response = browser.post_with_csrf(URL)
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.org"
    assert response.cookies["access_token"].value != login.cookies["access_token"].value
    assert response.cookies["refresh_token"].value != login.cookies["refresh_token"].value
    assert response.cookies["refresh_token"]["path"] == "/api/v1/auth/"
    assert browser.get("/api/v1/auth/me").status_code == 200


def test_it_blacklists_the_old_refresh_token(browser, alice):
    browser.login_as(alice)
    browser.post_with_csrf(URL)
    assert BlacklistedToken.objects.filter(token__user=alice).count() == 1


def test_it_answers_401_when_an_old_refresh_token_is_reused(browser, alice):
    login = browser.login_as(alice)
    old_refresh = login.cookies["refresh_token"].value
    assert browser.post_with_csrf(URL).status_code == 200
    browser.cookies["refresh_token"] = old_refresh
    response = browser.post_with_csrf(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_failed_refresh_leaves_the_cookies_alone(browser, alice):
    # Two tabs may refresh at once: the loser must not wipe the cookies the winner just set.
    login = browser.login_as(alice)
    browser.post_with_csrf(URL)
    browser.cookies["refresh_token"] = login.cookies["refresh_token"].value
    response = browser.post_with_csrf(URL)
    assert response.status_code == 401
    assert not response.cookies


def test_it_answers_401_without_a_refresh_cookie(browser):
    assert browser.post_with_csrf(URL).status_code == 401


def test_it_refuses_an_access_token_in_the_refresh_cookie(browser, alice):
    access, _refresh = issue_tokens(alice)
    browser.cookies["refresh_token"] = access
    assert browser.post_with_csrf(URL).status_code == 401


def test_it_refuses_a_deactivated_user(browser, alice):
    browser.login_as(alice)
    alice.is_active = False
    alice.save()
    assert browser.post_with_csrf(URL).status_code == 401


def test_it_requires_a_csrf_token(browser, alice):
    browser.login_as(alice)
    assert browser.post(URL).status_code == 403


def test_the_page_detour_rotates_and_returns_to_the_page(browser, alice):
    login = browser.login_as(alice)
    response = browser.get(URL, {"next": "/tasks?page=2"})
    assert response.status_code == 302
    assert response["Location"] == "/tasks?page=2"
    assert response.cookies["access_token"].value != login.cookies["access_token"].value


def test_the_page_detour_clears_the_cookies_when_the_refresh_token_is_spent(browser, alice):
    login = browser.login_as(alice)
    browser.post_with_csrf(URL)
    browser.cookies["refresh_token"] = login.cookies["refresh_token"].value
    response = browser.get(URL, {"next": "/tasks"})
    assert response.status_code == 302
    assert response["Location"] == "/tasks"
    assert response.cookies["refresh_hint"].value == ""
    assert response.cookies["access_token"].value == ""


def test_the_page_detour_never_redirects_off_site(browser, alice):
    browser.login_as(alice)
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = browser.get(URL, {"next": target})
        assert response["Location"] == "/"
