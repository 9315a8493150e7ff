"""Errors outside any API view (no route matched, a path parameter of the wrong form) still
answer in the API's JSON shape, while pages keep the HTML error page."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import path

from writers.urls import urlpatterns


def crash(request: Any) -> None:
    raise RuntimeError("boom")


urlpatterns = [
    *urlpatterns,
    path("api/v1/crash", crash),
    path("v1/crash", crash),
    path("crash", crash),
]
handler404 = "writers.api.not_found"
handler500 = "writers.api.server_error"


def test_it_answers_an_unknown_api_url_with_json(client: Client, db: None) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_it_answers_a_malformed_path_parameter_with_json(client: Client, db: None) -> None:
    response = client.get("/api/v1/users/not-a-uuid")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_it_answers_an_unknown_openai_url_in_openai_shape(client: Client, db: None) -> None:
    response = client.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_it_keeps_the_html_page_for_an_unknown_page(client: Client, db: None) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_it_answers_a_crash_outside_drf_with_json(settings: Any, db: None) -> None:
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/crash")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Internal error. It has been logged.",
        "code": "internal_error",
    }
    assert client.get("/v1/crash").json()["error"]["type"] == "server_error"
    assert client.get("/crash")["Content-Type"].startswith("text/html")
