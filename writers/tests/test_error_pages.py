"""With DEBUG off (as `make run` and production serve), a missing page, a refused one and a crash
show the app's own pages in the reader's language, never Django's technical ones; under /api/
and /v1/ the same errors stay JSON."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import translation

from writers.api import server_error
from writers.urls import urlpatterns


def forbidden(request: Any) -> None:
    raise PermissionDenied("not yours")


def crash(request: Any) -> None:
    raise RuntimeError("boom")


urlpatterns = [
    *urlpatterns,
    path("forbidden", forbidden),
    path("api/v1/forbidden", forbidden),
    path("v1/forbidden", forbidden),
    path("crash", crash),
]
handler403 = "writers.api.permission_denied"
handler404 = "writers.api.not_found"
handler500 = "writers.api.server_error"

PAGES = {
    # status: (English heading, Persian heading)
    404: ("Nothing here", "چیزی اینجا نیست"),
    403: ("This is not yours to see", "این صفحه متعلق به شما نیست"),
    500: ("Something went wrong on our side", "مشکلی در سمت ما پیش آمد"),
}
URLS = {404: "/no-such-page", 403: "/forbidden", 500: "/crash"}


@pytest.fixture
def client(settings: Any, db: None) -> Client:
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("code", [404, 403, 500])
@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("fa", "rtl")])
def test_it_shows_the_apps_error_page(
    client: Client, code: int, language: str, direction: str
) -> None:
    response = client.get(URLS[code], HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == code
    html = response.content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert PAGES[code][0 if language == "en" else 1] in html
    # The app's header and stylesheet, not Django's bare or technical page.
    assert 'class="site-header"' in html
    assert "css/writers" in html
    assert "Django" not in html
    assert "URLconf" not in html


def test_it_shows_the_page_header_to_a_signed_in_user(client: Client, alice: Any) -> None:
    client.force_login(alice)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "/dashboard" in response.content.decode()


def test_it_renders_the_500_page_without_the_database(
    django_assert_num_queries: Any, db: None
) -> None:
    # A crash is often the database's: the page must not need it, nor a request context.
    request = RequestFactory().get("/crash")
    with translation.override("fa"), django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert PAGES[500][1] in response.content.decode()


def test_it_keeps_json_for_a_refusal_under_the_api(client: Client) -> None:
    response = client.get("/api/v1/forbidden")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    error = client.get("/v1/forbidden").json()["error"]
    assert error["code"] == "permission_denied"
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "The form could not be sent"), ("fa", "فرم فرستاده نشد")]
)
def test_it_shows_the_apps_page_when_a_form_fails_its_csrf_check(
    settings: Any, db: None, language: str, heading: str
) -> None:
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login", {"email": "alice@example.org"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    html = response.content.decode()
    assert heading in html
    assert 'class="site-header"' in html
    assert "CSRF verification failed" not in html
