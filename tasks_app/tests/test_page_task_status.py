"""GET /dashboard/tasks/<id>/status: the partial the task page polls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task

HTMX = {"HX-Request": "true"}


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    return client


def url(task: Task) -> str:
    return f"/dashboard/tasks/{task.pk}/status"


@pytest.mark.parametrize("status", [Status.PENDING, Status.IN_PROGRESS, Status.PROCESSING])
def test_it_keeps_polling_while_the_task_is_active(
    status: Status, alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=status)
    response = alice_client.get(url(task), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<div id="task-status"')
    assert f'hx-get="{url(task)}"' in body


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.FAILED, Status.CANCELLED])
def test_it_stops_the_poll_with_286_when_the_task_is_over(
    status: Status,
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    result: dict[str, Any],
) -> None:
    task = make_task(alice, file=True, status=status, result=result)
    response = alice_client.get(url(task), headers=HTMX)
    assert response.status_code == 286
    body = response.content.decode()
    assert f'hx-get="{url(task)}"' not in body
    assert "And so my fellow Americans," in body


def test_it_is_404_for_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    client.cookies["access_token"] = issue_tokens(charlie)[0]
    # The poll sends the whole page to the task's page, which answers as for a missing task.
    poll = client.get(url(task), headers=HTMX)
    assert poll["HX-Redirect"] == f"/dashboard/tasks/{task.pk}"
    assert "Interview" not in poll.content.decode()
    assert client.get(poll["HX-Redirect"]).status_code == 404


def test_it_sends_the_whole_page_to_login_when_the_session_expired(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    page = f"/dashboard/tasks/{task.pk}"
    response = client.get(url(task), headers={**HTMX, "HX-Current-URL": f"http://testserver{page}"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/login?next={page}"
    assert response.content == b""


def test_it_sends_the_page_to_its_404_when_the_task_was_deleted_meanwhile(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    Task.objects.filter(pk=task.pk).update(deleted_at=timezone.now())
    response = alice_client.get(url(task), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/dashboard/tasks/{task.pk}"
    assert alice_client.get(response["HX-Redirect"]).status_code == 404


def live_worker() -> None:
    # The schedule gives start and finish times only when some worker is alive.
    from transcription.models import WorkerProcess

    WorkerProcess.objects.create(name="w", hostname="h", pid=1, device="cpu")


def test_a_running_task_shows_the_time_left_but_no_place_in_the_queue(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    live_worker()
    started = timezone.now() - timedelta(seconds=300)
    running = make_task(alice, file=True, status=Status.PROCESSING, progress=78, started_at=started)
    waiting = make_task(alice, file=True, status=Status.IN_PROGRESS, queued_at=timezone.now())

    body = alice_client.get(url(running), headers=HTMX).content.decode()
    assert "78% done" in body
    assert "in queue" not in body
    # 78 % in 300 s: about 85 s more at that pace.
    assert "about 1\xa0minute left" in body
    assert "0\xa0minutes" not in body

    body = alice_client.get(url(waiting), headers=HTMX).content.decode()
    assert "#1 in queue" in body


def test_a_running_task_near_its_end_says_less_than_a_minute(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    live_worker()
    started = timezone.now() - timedelta(seconds=300)
    task = make_task(alice, file=True, status=Status.PROCESSING, progress=99, started_at=started)
    body = alice_client.get(url(task), headers=HTMX).content.decode()
    assert "less than a minute left" in body


def test_a_running_task_without_progress_past_its_models_time_is_being_estimated(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    live_worker()
    started = timezone.now() - timedelta(hours=1)
    task = make_task(alice, file=True, status=Status.PROCESSING, started_at=started)
    body = alice_client.get(url(task), headers=HTMX).content.decode()
    assert "Estimating the time left…" in body
    assert "minutes left" not in body


def test_the_transcript_of_a_running_task_is_a_live_preview(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    partial = {**result, "partial": True}
    running = make_task(alice, file=True, status=Status.PROCESSING, result=partial)
    body = alice_client.get(url(running), headers=HTMX).content.decode()
    assert "Live preview, still transcribing" in body
    assert "stopped before the end" not in body

    failed = make_task(alice, file=True, status=Status.FAILED, result=partial)
    body = alice_client.get(url(failed), headers=HTMX).content.decode()
    assert "Partial transcript: the task stopped before the end of the recording." in body
    assert "Live preview" not in body


def test_it_says_queued_again_only_while_the_retried_task_waits(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.IN_PROGRESS, attempts=1)
    assert "Task queued again." in alice_client.get(url(task), headers=HTMX).content.decode()
    Task.objects.filter(pk=task.pk).update(status=Status.PROCESSING, attempts=2)
    assert "Task queued again." not in alice_client.get(url(task), headers=HTMX).content.decode()
    first = make_task(alice, file=True, status=Status.IN_PROGRESS)
    assert "Task queued again." not in alice_client.get(url(first), headers=HTMX).content.decode()


def test_it_writes_the_estimate_in_persian_digits(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    live_worker()
    # Half done in 630 s: 630 s more, "10 minutes" in Persian digits. Not 600 s: the estimate
    # and the page each read the clock, and a busy host's half second between them turned
    # 600 s into 599.5, "9 minutes"; 30 s of slack either side keeps it 10.
    started = timezone.now() - timedelta(seconds=630)
    task = make_task(alice, file=True, status=Status.PROCESSING, progress=50, started_at=started)
    alice_client.cookies["django_language"] = "fa"
    body = alice_client.get(url(task), headers=HTMX).content.decode()
    assert "حدود ۱۰\xa0دقیقه مانده" in body
