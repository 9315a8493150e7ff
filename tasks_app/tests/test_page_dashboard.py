"""GET /dashboard: the user's tasks as cards, filtered, searched, paged and self-refreshing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    return client


def test_it_requires_login(client: Client, db: None) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/dashboard"


def test_it_shows_only_the_users_own_tasks(
    alice_client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Alice's interview", file=True, status=Status.COMPLETED)
    make_task(charlie, title="Charlie's secret")
    body = alice_client.get("/dashboard").content.decode()
    assert "Alice&#x27;s interview" in body
    assert "Charlie" not in body


def test_it_labels_each_status_in_words(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    for status in Status:
        make_task(alice, title=f"task {status}", file=True, status=status)
    body = alice_client.get("/dashboard").content.decode()
    for label, css in [
        ("Pending", "badge-pending"),
        ("Queued", "badge-queued"),
        ("Processing", "badge-processing"),
        ("Completed", "badge-completed"),
        ("Failed", "badge-failed"),
        ("Cancelled", "badge-cancelled"),
    ]:
        assert f'class="badge {css}"' in body
        assert f"</span>{label}</span>" in body


def test_it_shows_progress_and_eta_for_a_running_task(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, file=True, status=Status.PROCESSING, progress=42)
    body = alice_client.get("/dashboard").content.decode()
    assert 'aria-valuenow="42"' in body
    assert "42% done" in body
    assert "left" in body


def test_it_filters_by_status(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Done one", file=True, status=Status.COMPLETED)
    make_task(alice, title="Broken one", file=True, status=Status.FAILED)
    body = alice_client.get("/dashboard?status=FAILED").content.decode()
    assert "Broken one" in body
    assert "Done one" not in body


def test_it_searches_titles_and_transcripts(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict
) -> None:
    make_task(alice, title="Speech", file=True, status=Status.COMPLETED, result=result)
    make_task(alice, title="Groceries")
    body = alice_client.get("/dashboard?q=Americans").content.decode()
    assert "Speech" in body
    assert "Groceries" not in body
    body = alice_client.get("/dashboard?q=nothingmatches").content.decode()
    assert "No task matches" in body


def test_it_pages_the_list(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    for number in range(15):
        make_task(alice, title=f"Task number {number:02d}")
    first = alice_client.get("/dashboard").content.decode()
    assert "Page 1 of 2" in first
    assert 'href="?page=2"' in first
    second = alice_client.get("/dashboard?page=2").content.decode()
    assert second.count('class="task-card"') == 3


def test_it_gives_every_element_its_own_id(alice_client: Client, team: Any) -> None:
    # With a team, the filters and the to-do box both offer a workspace select.
    body = alice_client.get("/dashboard").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', body)
    assert 'id="id_todo_workspace"' in body
    assert [i for i in set(ids) if ids.count(i) > 1] == []


def test_it_shows_a_helpful_empty_state(alice_client: Client) -> None:
    body = alice_client.get("/dashboard").content.decode()
    assert "Nothing here yet" in body
    assert 'href="/dashboard/upload"' in body


def test_it_polls_while_a_task_is_active(
    alice_client: Client, alice: User, make_task: Callable[..., Task], settings: object
) -> None:
    settings.DASHBOARD_POLL_SECONDS = 7  # type: ignore[attr-defined]
    make_task(alice, file=True, status=Status.IN_PROGRESS)
    body = alice_client.get("/dashboard").content.decode()
    assert "every 7s" in body
    assert 'hx-get="/dashboard"' in body


def test_it_does_not_poll_when_nothing_is_active(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, file=True, status=Status.COMPLETED)
    make_task(alice, title="A to-do stays pending without a worker")
    body = alice_client.get("/dashboard").content.decode()
    # Only the task list is judged: the header's unread badge polls on every page.
    task_list = body.split('id="task-list"', 1)[1].split(">", 1)[0]
    assert "every " not in task_list
    assert 'data-polling="false"' in body


def test_its_poll_returns_the_list_partial(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Running", file=True, status=Status.PROCESSING)
    response = alice_client.get("/dashboard", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<div id="task-list"')
    assert "<html" not in body
    assert "Running" in body


def test_its_poll_stops_with_286_when_nothing_is_active(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Finished", file=True, status=Status.COMPLETED)
    response = alice_client.get("/dashboard", headers={"HX-Request": "true"})
    assert response.status_code == 286
    assert "Finished" in response.content.decode()


def test_its_poll_redirects_the_page_to_login_when_the_session_expired(
    client: Client, db: None
) -> None:
    client.cookies["access_token"] = "expired.or.forged"
    response = client.get(
        "/dashboard",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/dashboard?page=2"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login?next=/dashboard%3Fpage%3D2"
    assert b"<form" not in response.content


def test_it_speaks_persian_right_to_left(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, file=True, status=Status.PENDING, title="x")
    alice_client.cookies["django_language"] = "fa"
    body = alice_client.get("/dashboard").content.decode()
    assert '<html lang="fa" dir="rtl">' in body
    assert "در انتظار" in body
    assert "کارهای شما" in body


def test_its_queries_do_not_grow_with_the_number_of_tasks(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, file=True, status=Status.PROCESSING)
    with CaptureQueriesContext(connection) as one:
        alice_client.get("/dashboard")
    for _number in range(10):
        make_task(alice, file=True, status=Status.IN_PROGRESS)
    with CaptureQueriesContext(connection) as eleven:
        alice_client.get("/dashboard")
    assert len(eleven) == len(one)


def read_as_a_column(sql: str) -> bool:
    return '"tasks_app_task"."transcript_text", "' in sql or '"transcript_text" FROM' in sql


def test_it_reads_transcripts_only_to_search_them(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    # Cards never show a transcript; only a search's snippets need its text.
    make_task(alice, title="Board meeting", file=True, result={"text": "quarterly budget"})

    def task_queries(path: str) -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            body = alice_client.get(path).content.decode()
        sql = [q["sql"] for q in queries.captured_queries if 'FROM "tasks_app_task"' in q["sql"]]
        return body, sql

    body, plain = task_queries("/dashboard")
    assert "Board meeting" in body and plain
    # Read as a column of its own; whether it has any text (Task.has_transcript_text) is not.
    assert not any(read_as_a_column(sql) for sql in plain)
    body, searched = task_queries("/dashboard?q=budget")
    assert "Board meeting" in body
    assert any(read_as_a_column(sql) for sql in searched)
