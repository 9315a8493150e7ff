"""The `speakers` upload option (automatic speaker labels, 0 = off) on POST /api/v1/tasks and
the upload page's Advanced part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Task
from tasks_app.tests.test_page_upload import form


def test_the_api_records_how_many_speakers_to_label(
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    queues: Any,
) -> None:
    response = api(alice).post(
        "/api/v1/tasks", {"title": "Call", "file": upload(".flac"), "speakers": 3}
    )
    assert response.status_code == 202, response.json()
    assert response.json()["options"]["speakers"] == 3
    assert Task.objects.get(pk=response.json()["id"]).speakers == 3


def test_the_api_leaves_labelling_off_by_default(
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    queues: Any,
) -> None:
    response = api(alice).post("/api/v1/tasks", {"title": "Call", "file": upload(".flac")})
    assert response.json()["options"]["speakers"] == 0
    assert response.json()["speakers_status"] == ""


@pytest.mark.parametrize("speakers", ["11", "-1", "two", "1.5"])
def test_the_api_refuses_a_count_out_of_0_to_10(
    speakers: str,
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
) -> None:
    response = api(alice).post(
        "/api/v1/tasks", {"title": "Call", "file": upload(".flac"), "speakers": speakers}
    )
    assert response.status_code == 400
    assert response.json()["speakers"]
    assert not Task.objects.exists()


def test_the_upload_page_offers_it_under_advanced(
    client: Client, alice: User, upload: Callable[..., SimpleUploadedFile], queues: Any
) -> None:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    page = client.get("/dashboard/upload").content.decode()
    advanced = page[page.index('id="upload-advanced"') :]
    assert 'name="speakers"' in advanced and 'max="10"' in advanced
    assert "The labels are approximate" in advanced

    response = client.post("/dashboard/upload", form(upload(".flac"), speakers="2"))
    assert response.status_code == 302
    assert Task.objects.get(user=alice).speakers == 2

    refused = client.post("/dashboard/upload", form(upload(".flac"), speakers="12"))
    assert refused.status_code == 400
    assert 'id="upload-advanced" open' in refused.content.decode()
