from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from accounts.decorators import login_required_page


@login_required_page
def protected(request):
    return HttpResponse(f"hello {request.user.username}")


def call(user=None, htmx: bool = False, current_url: str = "", **cookies):
    headers = {"HX-Request": "true"} if htmx else {}
    if current_url:
        headers["HX-Current-URL"] = current_url
    request = RequestFactory().get("/tasks/42/_status?x=1", headers=headers)
    request.COOKIES.update(cookies)
    request.user = user or AnonymousUser()
    request.htmx = HtmxDetails(request)
    return protected(request)


def test_it_lets_a_signed_in_user_through(alice):
    assert call(alice).content == b"hello alice"


def test_it_redirects_an_anonymous_visitor_to_login_with_next():
    response = call()
    assert response.status_code == 302
    assert response["Location"] == "/login?next=" + quote("/tasks/42/_status?x=1", safe="/")


def test_it_answers_htmx_with_a_client_redirect_to_login_for_the_current_page():
    response = call(htmx=True, current_url="http://testserver/tasks/42?tab=log")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login?next=" + quote("/tasks/42?tab=log", safe="/")


def test_it_ignores_a_current_url_on_another_site():
    response = call(htmx=True, current_url="https://evil.example/x")
    assert response["HX-Redirect"] == "/login?next=" + quote("/tasks/42/_status?x=1", safe="/")


def test_it_sends_htmx_through_the_refresh_endpoint_when_a_refresh_cookie_may_exist():
    response = call(htmx=True, current_url="http://testserver/tasks", refresh_hint="1")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/api/v1/auth/refresh?next=%2Ftasks"
