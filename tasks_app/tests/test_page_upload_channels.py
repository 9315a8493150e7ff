"""The upload page's stereo choice (Advanced): a call with one speaker per channel can be split
into its channels, or mixed; automatic measures the channels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Task


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    return client


def advanced_part(body: str) -> str:
    advanced = body.split('<details class="upload-advanced" id="upload-advanced">')[1]
    return advanced[: advanced.index("</details>")]


def test_it_offers_the_choice_under_advanced_set_to_automatic(alice_client: Client) -> None:
    advanced = advanced_part(alice_client.get("/dashboard/upload").content.decode())

    assert 'id="id_channels"' in advanced
    assert '<option value="auto" selected>Automatic</option>' in advanced
    assert '<option value="split">One speaker per channel</option>' in advanced
    assert '<option value="mix">Mix to mono</option>' in advanced


def test_it_speaks_persian(alice_client: Client) -> None:
    alice_client.cookies["django_language"] = "fa"

    advanced = advanced_part(alice_client.get("/dashboard/upload").content.decode())

    assert "کانال‌های استریو" in advanced
    assert "هر کانال یک گوینده" in advanced


@pytest.mark.parametrize(("sent", "kept"), [({"channels": "split"}, "split"), ({}, "auto")])
def test_it_records_the_choice(
    sent: dict[str, str],
    kept: str,
    alice_client: Client,
    alice: User,
    upload: Callable[..., SimpleUploadedFile],
    queues: Any,
) -> None:
    response = alice_client.post(
        "/dashboard/upload",
        {"file": upload(".flac"), "title": "", "mode": "transcribe", "model": "tiny.en", **sent},
    )

    assert response.status_code == 302
    assert Task.objects.get(user=alice).channels == kept


def test_it_refuses_an_unknown_choice(
    alice_client: Client, alice: User, upload: Callable[..., SimpleUploadedFile]
) -> None:
    response = alice_client.post(
        "/dashboard/upload",
        {"file": upload(".flac"), "mode": "transcribe", "model": "tiny.en", "channels": "both"},
    )

    assert response.status_code == 400
    assert (
        '<details class="upload-advanced" id="upload-advanced" open>' in response.content.decode()
    )
    assert not Task.objects.filter(user=alice).exists()
