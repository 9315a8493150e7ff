"""GET /api/v1/tasks/<id>/result?format=json|txt|srt|vtt|tsv."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Status, Task


def url(task: Task, fmt: str | None = None) -> str:
    return f"/api/v1/tasks/{task.pk}/result" + (f"?format={fmt}" if fmt else "")


def body(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_it_downloads_the_result_json_by_default(
    backend: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    result: dict[str, Any],
) -> None:
    task = make_task(alice, file=True, status=Status.COMPLETED, result=result, title="JFK")
    response = api(alice).get(url(task))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(body(response))["text"] == result["text"]
    assert response["Content-Disposition"] == ('attachment; filename="JFK.json"')
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("fmt", "content_type", "expected"),
    [
        ("txt", "text/plain; charset=utf-8", "ask not what your country"),
        ("srt", "application/x-subrip; charset=utf-8", "00:00:04,500 --> 00:00:11,000"),
        ("vtt", "text/vtt; charset=utf-8", "WEBVTT"),
        ("tsv", "text/tab-separated-values; charset=utf-8", "4500\t11000"),
    ],
)
def test_it_renders_each_subtitle_and_text_format(
    fmt: str,
    content_type: str,
    expected: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    result: dict[str, Any],
) -> None:
    task = make_task(alice, file=True, status=Status.COMPLETED, result=result, title="JFK")
    response = api(alice).get(url(task, fmt))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert expected in body(response)
    assert response["Content-Disposition"].endswith(f'filename="JFK.{fmt}"')


@pytest.mark.parametrize("status", [Status.PENDING, Status.PROCESSING])
def test_it_answers_409_until_a_result_exists(
    status: Status, alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=status)
    response = api(alice).get(url(task, "srt"))
    assert response.status_code == 409
    assert response.json()["code"] == "result_not_ready"
    assert "No transcript yet" in response.json()["detail"]


def test_it_refuses_an_unknown_format(
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    result: dict[str, Any],
) -> None:
    task = make_task(alice, file=True, status=Status.COMPLETED, result=result)
    response = api(alice).get(url(task, "pdf"))
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_format"
