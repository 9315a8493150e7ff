from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.middleware import JWTCookieMiddleware
from accounts.tokens import issue_tokens

seen: dict = {}


def page(request):
    seen["user"] = request.user
    return HttpResponse("page")


middleware = JWTCookieMiddleware(page)


def get(path: str = "/tasks?page=2", method: str = "get", headers=None, **cookies):
    request = getattr(RequestFactory(), method)(path, headers=headers or {})
    request.COOKIES.update(cookies)
    request.user = AnonymousUser()
    seen.clear()
    return middleware(request)


@pytest.mark.django_db
def test_it_signs_the_page_request_in_from_the_access_cookie(alice):
    access, _refresh = issue_tokens(alice)
    response = get(access_token=access)
    assert response.content == b"page"
    assert seen["user"] == alice


@pytest.mark.django_db
def test_it_leaves_an_invalid_cookie_anonymous(alice):
    access, _refresh = issue_tokens(alice)
    alice.is_active = False
    alice.save()
    get(access_token=access)
    assert not seen["user"].is_authenticated


@pytest.mark.django_db
def test_it_sends_an_expired_session_through_the_refresh_endpoint_and_back(alice):
    response = get(refresh_hint="1")
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/auth/refresh?next=" + quote("/tasks?page=2", safe="")


@pytest.mark.django_db
def test_it_takes_the_detour_when_the_access_cookie_was_revoked(alice):
    access, _refresh = issue_tokens(alice)
    alice.token_version += 1
    alice.save()
    assert get(access_token=access, refresh_hint="1").status_code == 302


@pytest.mark.django_db
def test_it_takes_no_detour_without_the_hint_cookie():
    assert get().content == b"page"


@pytest.mark.django_db
def test_it_takes_no_detour_for_a_post_or_htmx_request():
    assert get(method="post", refresh_hint="1").content == b"page"
    assert get(headers={"HX-Request": "true"}, refresh_hint="1").content == b"page"


@pytest.mark.django_db
def test_it_leaves_api_requests_to_drf(alice):
    access, _refresh = issue_tokens(alice)
    assert get("/api/v1/tasks", access_token=access, refresh_hint="1").content == b"page"
    assert not seen["user"].is_authenticated


def test_the_whole_detour_signs_a_browser_in_again(browser, alice):
    browser.login_as(alice)
    del browser.cookies["access_token"]
    detour = browser.get("/some/page?x=1")
    assert detour.status_code == 302
    back = browser.get(detour["Location"])
    assert back.status_code == 302
    assert back["Location"] == "/some/page?x=1"
    assert back.cookies["access_token"].value
    assert browser.get("/api/v1/auth/me").status_code == 200


def test_the_detour_ends_anonymous_when_the_refresh_token_is_dead(browser, alice):
    browser.login_as(alice)
    del browser.cookies["access_token"]
    alice.is_active = False
    alice.save()
    back = browser.get(browser.get("/some/page")["Location"])
    assert back["Location"] == "/some/page"
    assert back.cookies["refresh_hint"].value == ""
    # Without the hint the page is served (anonymous) instead of looping through the detour.
    assert browser.get("/some/page").status_code != 302
