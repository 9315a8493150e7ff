from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import AuthSession
from accounts.tests.conftest import Browser, bearer
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


def spent_a_minute_ago() -> None:
    """Move every rotation out of the grace period that two racing tabs get."""
    BlacklistedToken.objects.update(blacklisted_at=timezone.now() - timedelta(minutes=1))


def test_reusing_a_rotated_refresh_token_ends_every_token_rotated_from_it(browser, alice):
    login = browser.login_as(alice)
    stolen = login.cookies["refresh_token"].value
    assert browser.post_with_csrf(URL).status_code == 200
    assert browser.post_with_csrf(URL).status_code == 200
    spent_a_minute_ago()
    thief = Browser()
    thief.cookies["refresh_token"] = stolen
    assert thief.post_with_csrf(URL).status_code == 401
    # The legitimate holder's current tokens, two rotations later, are gone too.
    assert browser.get("/api/v1/auth/me").status_code == 401
    assert browser.post_with_csrf(URL).status_code == 401


def test_a_reuse_ends_only_its_own_session(browser, script, alice):
    other_access, other_refresh = issue_tokens(alice)
    login = browser.login_as(alice)
    browser.post_with_csrf(URL)
    spent_a_minute_ago()
    browser.cookies["refresh_token"] = login.cookies["refresh_token"].value
    assert browser.post_with_csrf(URL).status_code == 401
    assert script.get("/api/v1/auth/me", **bearer(other_access)).status_code == 200
    assert script.post("/api/v1/auth/token/refresh", {"refresh": other_refresh}).status_code == 200


def test_a_reuse_moments_after_the_rotation_is_refused_but_ends_nothing(browser, alice):
    # Two tabs refreshing at once send the same cookie; the slower one must not sign both out.
    login = browser.login_as(alice)
    assert browser.post_with_csrf(URL).status_code == 200
    current = browser.cookies["refresh_token"].value
    browser.cookies["refresh_token"] = login.cookies["refresh_token"].value
    assert browser.post_with_csrf(URL).status_code == 401
    browser.cookies["refresh_token"] = current
    assert browser.post_with_csrf(URL).status_code == 200


def test_rotation_never_extends_a_session_past_session_max_days(browser, alice, settings):
    settings.SESSION_MAX_DAYS = 30
    browser.login_as(alice)
    session = AuthSession.objects.get(user=alice)
    session.created_at = timezone.now() - timedelta(days=30) + timedelta(minutes=5)
    session.save()
    assert browser.post_with_csrf(URL).status_code == 200
    # The rotated tokens expire with the session, not REFRESH_TOKEN_EXPIRE_DAYS from now.
    refresh = RefreshToken(browser.cookies["refresh_token"].value)
    assert refresh["exp"] <= (session.created_at + timedelta(days=30)).timestamp()
    session.created_at -= timedelta(minutes=10)
    session.save()
    assert browser.post_with_csrf(URL).status_code == 401
    assert browser.get("/api/v1/auth/me").status_code == 401
