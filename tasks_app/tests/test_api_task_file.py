"""GET /api/v1/tasks/<id>/file: the original upload, as a safe attachment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task


def url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}/file"


def test_it_streams_the_upload_as_an_attachment(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task], jfk_flac: Path
) -> None:
    task = make_task(alice, file=True, title="Inaugural address")
    response = api(alice).get(url(task))
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == jfk_flac.read_bytes()
    assert response["Content-Type"] == "audio/flac"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == ('attachment; filename="Inaugural address.flac"')


PERSIAN = "%DA%AF%D8%B2%D8%A7%D8%B1%D8%B4%20%D8%AC%D9%84%D8%B3%D9%87.flac"


@pytest.mark.parametrize(
    ("title", "disposition"),
    [
        # Django's content_disposition_header: a quoted name when ASCII, else RFC 5987 only.
        ("گزارش جلسه", f"attachment; filename*=utf-8''{PERSIAN}"),
        ('Café "quotes"; x', "attachment; filename*=utf-8''Caf%C3%A9%20%27quotes%27%3B%20x.flac"),
        ("a\r\nSet-Cookie: evil=1", 'attachment; filename="aSet-Cookie: evil=1.flac"'),
        ("../../etc/passwd", 'attachment; filename="passwd.flac"'),
    ],
    ids=["persian", "quotes", "crlf", "traversal"],
)
def test_it_makes_a_safe_filename_from_any_title(
    title: str,
    disposition: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, file=True, title=title)
    response = api(alice).get(url(task))
    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition
    assert "Set-Cookie" not in response.headers


def test_it_answers_404_for_a_todo_and_410_once_the_audio_is_purged(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    todo = make_task(alice)
    assert api(alice).get(url(todo)).json()["code"] == "no_file"
    purged = make_task(alice, file=True, audio_purged_at=timezone.now())
    response = api(alice).get(url(purged))
    assert response.status_code == 410
    assert response.json()["code"] == "file_gone"


def test_it_answers_json_errors_whatever_the_client_accepts(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    todo = make_task(alice)
    response = api(alice).get(url(todo), HTTP_ACCEPT="audio/*")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
