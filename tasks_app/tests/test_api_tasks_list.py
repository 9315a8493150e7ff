"""GET /api/v1/tasks: the owner's tasks, paged, filtered, searched and ordered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Status, Task

URL = "/api/v1/tasks"


def titles(response: Any) -> list[str]:
    return [task["title"] for task in response.json()["tasks"]]


def test_it_lists_only_the_owners_live_tasks(
    alice: User, charlie: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Mine")
    make_task(charlie, title="Charlie's")
    gone = make_task(alice, title="Deleted")
    Task.objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z")
    response = api(alice).get(URL)
    assert response.status_code == 200
    assert titles(response) == ["Mine"]
    assert response.json()["total"] == 1


def test_it_pages_with_skip_and_limit(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    for number in range(5):
        make_task(alice, title=f"Task {number}")
    response = api(alice).get(URL, {"skip": 1, "limit": 2, "ordering": "title"})
    assert titles(response) == ["Task 1", "Task 2"]
    assert response.json()["total"] == 5


def test_it_caps_the_limit_at_100(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    home = alice.personal_workspace
    Task.objects.bulk_create([Task(user=alice, workspace=home, title=f"T{n}") for n in range(105)])
    response = api(alice).get(URL, {"limit": 1000})
    assert response.status_code == 200
    assert len(response.json()["tasks"]) == 100
    assert response.json()["total"] == 105


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"skip": -1},
        {"skip": 67408477663616286720},  # would overflow PostgreSQL's OFFSET
        {"limit": "many"},
        {"status_filter": "DONE"},
        {"ordering": "id"},
    ],
)
def test_it_refuses_bad_parameters_with_400(
    query: dict[str, Any], alice: User, api: Callable[..., APIClient]
) -> None:
    response = api(alice).get(URL, query)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_it_filters_by_status(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Done", status=Status.COMPLETED)
    make_task(alice, title="Open", status=Status.PENDING)
    response = api(alice).get(URL, {"status_filter": "COMPLETED"})
    assert titles(response) == ["Done"]
    assert response.json()["total"] == 1


def test_it_searches_title_description_and_transcript(
    alice: User, charlie: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Budget meeting")
    make_task(alice, title="Call", description="Discuss the budget with Bob")
    make_task(alice, title="Speech", transcript_text="the budget for next year is fixed")
    make_task(alice, title="Unrelated", description="lunch")
    make_task(charlie, title="Charlie's budget")
    response = api(alice).get(URL, {"q": "budget", "ordering": "title"})
    assert titles(response) == ["Budget meeting", "Call", "Speech"]
    assert response.json()["total"] == 3


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["a", "b", "c"]),
        ("-title", ["c", "b", "a"]),
        ("due_date", ["c", "a", "b"]),
        ("-created_at", ["c", "b", "a"]),
        ("created_at", ["a", "b", "c"]),
    ],
)
def test_it_orders(
    ordering: str,
    expected: list[str],
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    make_task(alice, title="a", due_date="2026-02-01T00:00:00Z")
    make_task(alice, title="b", due_date="2026-03-01T00:00:00Z")
    make_task(alice, title="c", due_date="2026-01-01T00:00:00Z")
    assert titles(api(alice).get(URL, {"ordering": ordering})) == expected


def test_it_uses_the_same_number_of_queries_for_any_page_size(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    client = api(alice)
    make_task(alice, file=True, status=Status.IN_PROGRESS)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).json()["tasks"]) == 1
    for number in range(30):
        make_task(alice, file=True, title=f"T{number}", status=Status.IN_PROGRESS)
    make_task(alice, title="To-do")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["tasks"]) == 32
    assert len(many) == len(one)


def test_it_answers_in_at_most_a_handful_of_queries(
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    django_assert_max_num_queries: Any,
) -> None:
    client = api(alice)
    for number in range(10):
        make_task(alice, file=True, title=f"T{number}", status=Status.IN_PROGRESS)
    # The user, the page (its workspaces and assignees joined), the page's tags, the total, and
    # what the ETA needs (four: tasks, speeds, workers, the waiting owners' fair standing).
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert response.status_code == 200
    assert len(response.json()["tasks"]) == 10


def test_it_lists_each_task_as_its_detail_shows_it(
    alice: User,
    bob: User,
    team: Any,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    # The list reads tags as rows and leaves the workspace's and assignee's other columns
    # unread; the detail reads whole objects. Both must give the same bytes.
    from tasks_app.tags.models import Tag

    tags = [Tag.objects.create(workspace=team, name=name) for name in ("urgent", "Audio", "b")]
    tagged = make_task(alice, workspace=team, assignee=bob, file=True, status=Status.PENDING)
    tagged.tags.add(*tags)
    make_task(alice, title="Home", due_date="2020-01-01T00:00:00Z")
    client = api(alice)
    listed = client.get(URL).json()["tasks"]
    assert [task["tags"] for task in listed][1] == [
        {"id": tag.pk, "name": tag.name, "color": tag.color} for tag in Tag.objects.all()
    ]
    assert listed == [client.get(f"{URL}/{task['id']}").json() for task in listed]


def test_it_builds_no_tag_objects_and_reads_no_password_hash(
    alice: User,
    bob: User,
    team: Any,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    # What a page of 100 cost most (bench/LOAD.md): a Tag object and manager per tag, and
    # every column of each task's assignee.
    from django.db.models.signals import post_init

    from tasks_app.tags.models import Tag

    tag = Tag.objects.create(workspace=team, name="urgent")
    for _ in range(3):
        make_task(alice, workspace=team, assignee=bob).tags.add(tag)
    built: list[Tag] = []

    def seen(sender: type, instance: Tag, **kwargs: Any) -> None:
        built.append(instance)

    post_init.connect(seen, sender=Tag)
    try:
        with CaptureQueriesContext(connection) as queries:
            body = api(alice).get(URL).json()
    finally:
        post_init.disconnect(seen, sender=Tag)
    assert [task["tags"][0]["name"] for task in body["tasks"]] == ["urgent"] * 3
    assert [task["assignee"]["username"] for task in body["tasks"]] == [bob.username] * 3
    assert built == []
    page = [q["sql"] for q in queries.captured_queries if 'FROM "tasks_app_task"' in q["sql"]]
    assert page and not any('"password"' in sql for sql in page)


def test_it_reads_no_transcript_text_yet_offers_analysis_only_where_there_is_text(
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    django_assert_max_num_queries: Any,
) -> None:
    # A page of 100 hour-long transcripts is megabytes of text the list never shows; the
    # database answers whether each has any (Task.has_transcript_text), blank text included.
    texts = {
        "Spoken": "And so, my fellow Americans",
        "Blank": " \n\t ",
        "Late start": " " * 300 + "words after a long blank",
        "Empty": "",
    }
    for title, text in texts.items():
        make_task(
            alice,
            title=title,
            file=True,
            result={"text": text, "segments": []},
            status=Status.COMPLETED,
        )
    client = api(alice)
    with CaptureQueriesContext(connection) as queries:
        listed = client.get(URL).json()["tasks"]
    # Each request empties Django's query log: read it before asking for anything else.
    page = [q["sql"] for q in queries.captured_queries if 'FROM "tasks_app_task"' in q["sql"]]
    count = len(queries)
    offered = {task["title"]: task["urls"]["analyze"] is not None for task in listed}
    assert offered == {"Spoken": True, "Blank": False, "Late start": True, "Empty": False}
    assert listed == [client.get(f"{URL}/{task['id']}").json() for task in listed]
    # The text appears only inside the test of whether it has any: no column of its own.
    assert page and not any('"transcript_text", "' in sql for sql in page)
    assert not any('"transcript_text" FROM' in sql for sql in page)
    with django_assert_max_num_queries(count):
        client.get(URL)


def test_it_checks_each_distinct_query_once_and_a_bad_one_every_time(
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tasks_app import serializers
    from writers.api import _validated_query

    built: list[Any] = []
    original = serializers.TaskListQuerySerializer.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(kwargs.get("data"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(serializers.TaskListQuerySerializer, "__init__", counting)
    _validated_query.cache_clear()
    make_task(alice, title="Only")
    client = api(alice)
    query = {"limit": 7, "skip": 0, "ordering": "title", "q": "Only"}

    first = client.get(URL, query)
    again = client.get(URL, query)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert len(built) == 1
    # The same parameters in another order are the same query; another value is another.
    assert client.get(URL, dict(reversed(query.items()))).status_code == 200
    assert len(built) == 1
    assert titles(first) == titles(client.get(URL, {**query, "q": ""})) == ["Only"]
    assert len(built) == 2

    for _ in range(2):
        refused = client.get(URL, {**query, "limit": 0})
        assert refused.status_code == 400
        assert refused.json()["limit"]
    assert len(built) == 4
