"""A body over the limits is 413 at every endpoint, in the API's error shape (OpenAI's under
/v1/), and a plain page for pages; never a 500. The upload endpoints' own 413 is in
tasks_app/tests (test_api_tasks_create, test_page_upload) and the OpenAI tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from conftest import PASSWORD
from tasks_app.integrations.models import Webhook

HUGE = "99999999999"
API_TOO_LARGE = {"detail": "The request body is too large.", "code": "body_too_large"}


def bearer(user: User) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_tokens(user)[0]}"}


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "path", ["/api/v1/webhooks", "/api/v1/auth/login", "/api/v1/tasks/bulk", "/api/v1/nowhere"]
)
def test_it_refuses_a_huge_declared_length_in_the_api_shape(
    client: Client, alice: User, path: str
) -> None:
    response = client.post(
        path, b'{"url": "x"}', "application/json", CONTENT_LENGTH=HUGE, **bearer(alice)
    )
    assert response.status_code == 413
    assert response.json() == API_TOO_LARGE
    assert not Webhook.objects.exists()


def test_it_refuses_a_huge_declared_length_in_openai_shape(client: Client, alice: User) -> None:
    response = client.post(
        "/v1/models", b"{}", "application/json", CONTENT_LENGTH=HUGE, **bearer(alice)
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_it_refuses_a_huge_form_to_a_page_with_a_plain_page(client: Client, db: None) -> None:
    response = client.post(
        "/login", b"email=a&password=b", "application/x-www-form-urlencoded", CONTENT_LENGTH=HUGE
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_it_refuses_a_huge_multipart_body_to_an_endpoint_without_uploads(
    client: Client, alice: User
) -> None:
    response = client.post(
        "/api/v1/webhooks", {"url": "https://example.org"}, CONTENT_LENGTH=HUGE, **bearer(alice)
    )
    assert response.status_code == 413
    assert response.json() == API_TOO_LARGE


def test_it_refuses_a_json_body_just_over_the_limit(
    client: Client, alice: User, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"url": "https://example.org/' + b"x" * 1000 + b'"}'
    response = client.post("/api/v1/webhooks", body, "application/json", **bearer(alice))
    assert response.status_code == 413
    assert response.json() == API_TOO_LARGE
    assert not Webhook.objects.exists()


def test_it_refuses_a_form_field_just_over_the_limit(
    client: Client, db: None, settings: Any
) -> None:
    # Multipart fields are counted by Django while it parses (RequestDataTooBig), which was a 500
    # inside a DRF view.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/api/v1/auth/login", {"email": "a@example.org", "password": "x" * 1001})
    assert response.status_code == 413
    assert response.json() == API_TOO_LARGE


def test_it_refuses_a_page_form_just_over_the_limit(
    client: Client, db: None, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/login", {"email": "a@example.org", "password": "x" * 1001})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")


def test_it_refuses_a_file_over_the_upload_limit_where_no_file_is_taken(
    client: Client, alice: User, settings: Any, tmp_path: Path
) -> None:
    # Within the form allowance by Content-Length, so only the count while streaming stops it.
    settings.MAX_UPLOAD_BYTES = 2000
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    (tmp_path / "incoming").mkdir()

    def form() -> dict[str, Any]:
        return {"url": "https://example.org", "file": SimpleUploadedFile("a.bin", b"x" * 5000)}

    response = client.post("/api/v1/webhooks", form(), **bearer(alice))
    assert response.status_code == 413
    assert response.json() == API_TOO_LARGE
    assert client.post("/login", form()).status_code == 413
    assert list((tmp_path / "incoming").iterdir()) == []


def test_it_still_takes_a_multipart_form_within_the_limits(client: Client, alice: User) -> None:
    form = {"email": alice.email, "password": PASSWORD, "file": SimpleUploadedFile("a", b"x")}
    response = client.post("/api/v1/auth/login", form)
    assert response.status_code == 200, response.content
