"""GET /dashboard/tasks/<id>: everything about one task, live while it runs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app import blobs
from tasks_app.models import Attempt, Status, Task
from tasks_app.templatetags.writers import when


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
    backend: str,
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    result: dict[str, Any],
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
    # The transcript workspace: each segment's time plays from there.
    assert ">00:04.5</button>" in body
    for fmt in ("txt", "srt", "vtt", "json"):
        assert f'href="/api/v1/tasks/{task.pk}/result?format={fmt}"' in body
    assert f'href="/api/v1/tasks/{task.pk}/file"' in body
    assert "English (97%)" in body
    # The page does not poll a finished task (the header's unread badge polls on every page).
    assert f'hx-get="/dashboard/tasks/{task.pk}/status"' not in body
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


def test_it_shows_a_404_page_to_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Private thoughts")
    response = signed_in(client, charlie).get(url(task))
    assert response.status_code == 404
    body = response.content.decode()
    assert "Nothing here" in body
    assert "Private thoughts" not in body


def test_it_shows_a_404_page_for_a_missing_or_deleted_task(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    response = alice_client.get(f"/dashboard/tasks/{uuid.uuid4()}")
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()
    task = make_task(alice, deleted_at=timezone.now())
    assert alice_client.get(url(task)).status_code == 404


def test_its_details_say_each_time_once_relative_with_the_full_date_on_hover(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    now = timezone.now()
    task = make_task(
        alice,
        file=True,
        result=result,
        status=Status.COMPLETED,
        queued_at=now - timedelta(minutes=3),
        started_at=now - timedelta(minutes=2, seconds=4),
        completed_at=now - timedelta(minutes=2),
    )
    Task.objects.filter(pk=task.pk).update(created_at=now - timedelta(minutes=3))
    body = alice_client.get(url(task)).content.decode()
    details = body[body.index('id="details-heading"') :]
    for label in ("Created", "Completed", "Processing time", "Real-time factor"):
        assert details.count(f"<dt>{label}</dt>") == 1
    for gone in ("Updated", "Queued", "Started"):
        assert f"<dt>{gone}</dt>" not in details
    assert ">3\xa0minutes ago</time>" in details
    assert ">2\xa0minutes ago</time>" in details
    assert "<dd>0:04</dd>" in details  # processing time
    assert "2.8× real time" in details  # 11 s of audio in 4 s
    task.refresh_from_db()
    assert f'title="{when(task.created_at)}"' in details


def test_its_details_speak_persian_with_jalali_dates_on_hover(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    now = timezone.now()
    task = make_task(
        alice,
        file=True,
        status=Status.COMPLETED,
        started_at=now - timedelta(seconds=4),
        completed_at=now,
    )
    Task.objects.filter(pk=task.pk).update(created_at=now - timedelta(minutes=2, seconds=5))
    alice_client.cookies["django_language"] = "fa"
    body = alice_client.get(url(task)).content.decode()
    created = re.search(
        r'<time datetime="[^"]+" title="([^"]+)" data-relative>۲\xa0دقیقه پیش</time>', body
    )
    assert created is not None
    # On hover: the full Jalali date, as `when` writes it for a Persian reader.
    with translation.override("fa"):
        assert created.group(1) == when(now - timedelta(minutes=2, seconds=5))
    assert "۲.۸ برابر سرعت واقعی" in body


def test_it_shows_each_new_result_a_worker_points_the_row_at(
    backend: str, alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    """Results are never rewritten under the same name (a worker writes a new one, then
    points the row at it), so the page may keep what it read of a name, and still shows the
    newest."""
    task = make_task(alice, file=True, status=Status.PROCESSING)
    for number, words in enumerate(["Ask not", "Ask not what your country"], start=1):
        name = f"results/{task.pk}/{number}.json"
        segments = [{"id": 0, "start": 0.0, "end": 2.0, "text": words}]
        blobs.write_json(name, {"partial": True, "text": words, "segments": segments})
        Task.objects.filter(pk=task.pk).update(result_path=name)
        assert words in alice_client.get(url(task)).content.decode()


def test_it_says_the_file_store_is_down_instead_of_failing(
    s3_down: Callable[[], None],
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    result: dict[str, Any],
) -> None:
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    s3_down()
    response = alice_client.get(url(task))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "file store cannot be reached" in response.content.decode()


def test_it_reads_the_tag_options_of_its_own_workspace_only(
    alice_client: Client,
    alice: User,
    team: Any,
    make_task: Callable[..., Task],
    django_assert_num_queries: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tasks_app.tags.models import Tag
    from tasks_app.workspaces.services import personal_workspace

    Tag.objects.create(workspace=team, name="on-air")
    Tag.objects.create(workspace=personal_workspace(alice), name="private")
    task = make_task(alice, workspace=team, file=True, status=Status.COMPLETED)
    alice_client.get(url(task))
    # The session and user, the task with its role, the unread notifications, the task's tags,
    # its workspace's tags to pick from, its attachments and its comments.
    with django_assert_num_queries(7), CaptureQueriesContext(connection) as queries:
        body = alice_client.get(url(task)).content.decode()
    assert '<option value="on-air">' in body and "private" not in body
    # Not every tag of every workspace of the user's, joined through the memberships.
    tag_reads = [q["sql"] for q in queries if 'FROM "tasks_app_tag"' in q["sql"]]
    assert tag_reads and not any("tasks_app_membership" in sql for sql in tag_reads)
