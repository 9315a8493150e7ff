"""What one poll costs: the task page's status partial (GET /dashboard/tasks/<id>/status) and the
API's GET /api/v1/tasks/<id>, both asked for every few seconds by every open page and client.

The query counts are pinned so that a change adding one fails here (bench/LOAD.md measures the
poll under load). The queue schedule is kept warm (ETA_CACHE_SECONDS) as in a busy web process,
where it is computed once for all the polls of a few seconds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Attempt, Status, Task
from tasks_app.storage import atomic_write

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def warm_schedule(settings: Any) -> None:
    settings.ETA_CACHE_SECONDS = 60


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    return client


def poll(client: Client, task: Task) -> Any:
    return client.get(f"/dashboard/tasks/{task.pk}/status", headers=HTMX)


def test_it_polls_a_waiting_task_in_two_queries(
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    django_assert_num_queries: Any,
) -> None:
    task = make_task(alice, file=True, status=Status.PENDING)
    poll(alice_client, task)
    # The access token's session and user, then the task; no attempt has run, so no
    # attempts are read.
    with django_assert_num_queries(2):
        response = poll(alice_client, task)
    assert response.status_code == 200
    assert "hx-get" in response.content.decode()


def test_it_reads_neither_the_workspace_nor_the_assignee(
    alice_client: Client,
    alice: User,
    bob: User,
    team: Any,
    make_task: Callable[..., Task],
) -> None:
    # The page's status shows neither: their columns were half the poll's reading of the task.
    task = make_task(alice, workspace=team, assignee=bob, file=True, status=Status.PENDING)
    poll(alice_client, task)  # the queue's schedule, then kept (warm_schedule)
    with CaptureQueriesContext(connection) as queries:
        assert poll(alice_client, task).status_code == 200
    (read,) = [q["sql"] for q in queries.captured_queries if 'FROM "tasks_app_task"' in q["sql"]]
    assert '"accounts_user"' not in read and '"tasks_app_workspace"."name"' not in read


def test_it_builds_the_polls_lookup_once_per_reader_and_reads_the_database_each_time(
    client: Client,
    alice: User,
    bob: User,
    dave: User,
    charlie: User,
    team: Any,
    make_task: Callable[..., Task],
) -> None:
    from tasks_app import services
    from tasks_app.workspaces.models import Membership

    services._task_lookup.cache_clear()
    task = make_task(alice, workspace=team, file=True, status=Status.PENDING)
    other = make_task(alice, workspace=team, file=True, status=Status.PENDING)

    def poll_as(user: User, polled: Task) -> Any:
        client.cookies["access_token"] = issue_tokens(user)[0]
        return poll(client, polled)

    assert poll_as(bob, task).status_code == 200
    assert poll_as(bob, other).status_code == 200
    assert poll_as(bob, task).status_code == 200
    # One statement for bob's polls of any task; another for dave, who sees no buttons.
    assert services._task_lookup.cache_info().misses == 1
    assert "Cancel transcription" in poll_as(bob, task).content.decode()
    dave_sees = poll_as(dave, task).content.decode()
    assert "hx-get" in dave_sees and "Cancel transcription" not in dave_sees
    assert services._task_lookup.cache_info().misses == 2
    # Kept, the statement still asks the database: a stranger, a member who left, a deleted
    # task are each the poll's way out (a redirect to the page's 404).
    assert poll_as(charlie, task)["HX-Redirect"]
    Membership.objects.filter(user=bob).delete()
    assert poll_as(bob, task)["HX-Redirect"]
    Task.objects.filter(pk=other.pk).update(deleted_at="2026-01-01T00:00:00Z")
    assert poll_as(dave, other)["HX-Redirect"]
    assert poll_as(dave, task).status_code == 200


def test_it_reads_the_attempts_once_there_are_some(
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    django_assert_num_queries: Any,
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING, attempts=1)
    Attempt.objects.create(task=task, number=1, device="cpu")
    poll(alice_client, task)
    with django_assert_num_queries(3):
        body = poll(alice_client, task).content.decode()
    assert "Attempt 1" in body


def test_the_api_answers_a_poll_in_three_queries(
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    django_assert_num_queries: Any,
) -> None:
    task = make_task(alice, file=True, status=Status.PENDING)
    client = api(alice)
    client.get(f"/api/v1/tasks/{task.pk}")
    # The token's session and user, the task with its workspace, assignee and the caller's
    # role (one join), then the task's tags (the answer's `tags`; the page's poll reads none).
    with django_assert_num_queries(3):
        body = client.get(f"/api/v1/tasks/{task.pk}").json()
    assert body["queue_position"] == 1


def segments(texts: list[str]) -> list[dict[str, Any]]:
    return [
        {"id": number, "start": number * 2.0, "end": number * 2.0 + 2, "text": f" {text}"}
        for number, text in enumerate(texts)
    ]


def test_it_reads_and_renders_a_transcript_again_only_when_the_worker_rewrote_it(
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    result: dict[str, Any],
) -> None:
    partial = {**result, "partial": True, "segments": segments(["first words"] * 300)}
    task = make_task(alice, file=True, status=Status.PROCESSING, progress=40, result=partial)
    path = Path(settings.STORAGE_ROOT) / task.result_path
    assert "first words" in poll(alice_client, task).content.decode()

    # Changed in place with its size and times kept, the file reads as the same version: the
    # next poll does not open it (a poll used to parse and render it every time).
    stat = path.stat()
    path.write_text(path.read_text().replace("first words", "FIRST WORDS"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    body = poll(alice_client, task).content.decode()
    assert "first words" in body and "FIRST WORDS" not in body

    # The worker writes a new file and renames it over the old one: the next poll shows it.
    grown = {**partial, "segments": segments(["first words"] * 300 + ["later words"])}
    with atomic_write(path) as temporary:
        temporary.write_text(json.dumps(grown))
    body = poll(alice_client, task).content.decode()
    assert "later words" in body
    assert body.count('class="segment"') == 301


def test_it_renders_the_kept_transcript_in_the_readers_digits(
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    result: dict[str, Any],
) -> None:
    # A running task's live preview (a completed one shows the transcript workspace).
    task = make_task(alice, file=True, status=Status.PROCESSING, result=result)
    assert "<time>00:04.5</time>" in poll(alice_client, task).content.decode()
    alice_client.cookies["django_language"] = "fa"
    assert "<time>۰۰:۰۴.۵</time>" in poll(alice_client, task).content.decode()


@pytest.fixture
def tagged_team_tasks(alice: User, team: Any, make_task: Callable[..., Task]) -> list[Task]:
    from tasks_app.tags.models import Tag

    urgent = Tag.objects.create(workspace=team, name="urgent")
    tasks = [
        make_task(alice, workspace=team, file=True, status=status)
        for status in (Status.COMPLETED, Status.PENDING)
    ]
    for task in tasks:
        task.tags.add(urgent)
    return tasks


def test_the_dashboards_refresh_reads_no_bulk_bar_and_the_tags_once(
    alice_client: Client,
    tagged_team_tasks: list[Task],
    django_assert_num_queries: Any,
) -> None:
    alice_client.get("/dashboard", headers=HTMX)
    # The token's session and user, the workspaces with the roles, the count, the page, its
    # tags, and the workspaces' tags once (the cards' tag options). A waiting task on the page
    # keeps the list polling without a query asking whether one exists; the bulk bar (its
    # members and tags) is not part of the refreshed list.
    with django_assert_num_queries(6):
        body = alice_client.get("/dashboard", headers=HTMX).content.decode()
    assert 'data-polling="true"' in body and "urgent" in body


def test_the_dashboard_reads_the_tags_once_for_the_filter_the_cards_and_the_bulk_bar(
    alice_client: Client,
    tagged_team_tasks: list[Task],
    django_assert_num_queries: Any,
) -> None:
    alice_client.get("/dashboard")
    # As its refresh, with the bulk bar's members and the header's unread notifications.
    with django_assert_num_queries(8):
        body = alice_client.get("/dashboard").content.decode()
    assert body.count(">urgent<") >= 3  # the filter row, a card's chip, the bulk bar's choice
