"""GET /dashboard/tasks/<id>: everything about one task, live while it runs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Attempt, Status, Task


def signed_in(client: Client, user: User) -> Client:
    client.cookies["access_token"] = issue_tokens(user)[0]
    return client


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    return signed_in(client, alice)


def url(task: Task) -> str:
    return f"/dashboard/tasks/{task.pk}"


def test_it_requires_login(client: Client, alice: User, make_task: Callable[..., Task]) -> None:
    task = make_task(alice)
    response = client.get(url(task))
    assert response["Location"] == f"/login?next={url(task)}"


def test_it_shows_a_finished_transcript_with_downloads(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(
        alice,
        title="Kennedy",
        description="Inaugural address",
        file=True,
        result=result,
        status=Status.COMPLETED,
        completed_at=timezone.now(),
        detected_language="en",
        language_probability=0.97,
        model_name="tiny.en",
    )
    body = alice_client.get(url(task)).content.decode()
    assert "Kennedy" in body and "Inaugural address" in body
    assert "And so my fellow Americans," in body
    assert "<time>00:04.5</time>" in body
    for fmt in ("txt", "srt", "vtt", "json"):
        assert f'href="/api/v1/tasks/{task.pk}/result?format={fmt}"' in body
    assert f'href="/api/v1/tasks/{task.pk}/file"' in body
    assert "English (97%)" in body
    assert "hx-trigger" not in body
    assert "Partial transcript" not in body


def test_it_marks_the_partial_transcript_of_a_failed_task(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(
        alice,
        file=True,
        result={**result, "partial": True},
        status=Status.FAILED,
        error_code="WORKER_LOST",
        error_message="The worker stopped responding.",
        attempts=1,
    )
    Attempt.objects.create(
        task=task, number=1, outcome=Attempt.Outcome.LOST, error_message="heartbeat stopped"
    )
    body = alice_client.get(url(task)).content.decode()
    assert "Partial transcript" in body
    assert "The worker stopped responding." in body
    assert "Attempt 1" in body and "heartbeat stopped" in body
    assert f'action="/dashboard/tasks/{task.pk}/retry"' in body


def test_it_polls_and_shows_progress_while_running(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING, progress=50)
    body = alice_client.get(url(task)).content.decode()
    assert f'hx-get="/dashboard/tasks/{task.pk}/status"' in body
    assert "every 3s" in body
    assert 'aria-valuenow="50"' in body
    assert f'action="/dashboard/tasks/{task.pk}/cancel"' in body


def test_it_shows_a_403_page_to_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Private thoughts")
    response = signed_in(client, charlie).get(url(task))
    assert response.status_code == 403
    body = response.content.decode()
    assert "This is not yours to see" in body
    assert "Private thoughts" not in body


def test_it_shows_a_404_page_for_a_missing_or_deleted_task(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    response = alice_client.get(f"/dashboard/tasks/{uuid.uuid4()}")
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()
    task = make_task(alice, deleted_at=timezone.now())
    assert alice_client.get(url(task)).status_code == 404
