"""The API list's tasks written by PostgreSQL (tasks_app.task_json): the same bytes as
TaskSerializer and DRF's renderer give, for every kind and state of task."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models.signals import post_init
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app import blobs, task_json
from tasks_app.models import (
    AnalysisStatus,
    ErrorCode,
    Kind,
    Priority,
    Status,
    Task,
    normalized_audio_relpath,
)
from tasks_app.serializers import TaskSerializer
from transcription.models import WorkerProcess

URL = "/api/v1/tasks"
HOUR = timedelta(hours=1)


@pytest.fixture
def both(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[Any, Any]]:
    """`both(client, query)`: the list's answer as written by PostgreSQL, then as written by
    the serializer for every task."""

    def get(client: APIClient, query: dict[str, Any] | None = None, **headers: Any) -> Any:
        assert task_json.available()
        written = client.get(URL, {"limit": 100, **(query or {})}, **headers)
        with monkeypatch.context() as patch:
            patch.setattr(task_json, "available", lambda: False)
            serialized = client.get(URL, {"limit": 100, **(query or {})}, **headers)
        assert written.status_code == serialized.status_code == 200
        assert written["Content-Type"] == serialized["Content-Type"]
        return written, serialized

    return get


def test_it_writes_the_serializers_fields_in_its_order() -> None:
    # A field added to TaskSerializer must be written here too.
    assert task_json.written_fields() == TaskSerializer.Meta.fields


def test_it_writes_every_kind_and_state_as_the_serializer_does(
    alice: User,
    bob: User,
    team: Any,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    both: Callable[..., tuple[Any, Any]],
) -> None:
    from tasks_app.tags.models import Tag

    bob.full_name = 'Bob "the builder" Båtsman'
    bob.save()
    now = timezone.now()
    long_ago = now - timedelta(hours=1)
    # Text that JSON must escape, and text it must not.
    tricky = 'say "hi"\\ \n\t\x01 end\u2028\u2029 سلام 🎙️'
    tags = [Tag.objects.create(workspace=team, name=n) for n in ("urgent", "Audio", "b")]
    todo = make_task(alice, title=tricky, description=tricky, priority=Priority.URGENT)
    todo.tags.add(*tags)
    make_task(alice, workspace=team, assignee=bob, due_date=datetime(2020, 1, 1, tzinfo=UTC))
    make_task(alice, due_date=now + timedelta(days=3), status=Status.IN_PROGRESS)
    make_task(alice, due_date=datetime(2020, 1, 1, 0, 0, 0, 1, tzinfo=UTC), status="COMPLETED")
    make_task(alice, kind=Kind.TEXT, status=Status.COMPLETED, analysis_status="completed")
    make_task(
        alice,
        file=True,
        result={"text": "And so, my fellow Americans", "segments": []},
        status=Status.COMPLETED,
        detected_language="en",
        language_probability=0.97,
        progress=100,
        attempts=1,
        queued_at=long_ago,
        started_at=long_ago,
        completed_at=now,
        speakers=2,
        word_timestamps=True,
        hotwords="Kennedy",
        initial_prompt=tricky,
    )
    make_task(alice, file=True, result={"text": " \n ", "segments": []}, status="COMPLETED")
    # Analysis and speaker labelling asked for just now (busy), and long ago (lost, may be
    # asked again).
    for requested in (now, now - timedelta(minutes=20)):
        task = make_task(
            alice,
            file=True,
            result={"text": "words", "segments": []},
            status=Status.COMPLETED,
            analysis_status=AnalysisStatus.QUEUED,
            analysis_requested_at=requested,
            speakers_status=AnalysisStatus.RUNNING,
        )
        Task.objects.filter(pk=task.pk).update(updated_at=requested)
    make_task(
        alice,
        file=True,
        result={"text": "words", "segments": []},
        status=Status.COMPLETED,
        audio_purged_at=now,
        speakers_status=AnalysisStatus.FAILED,
        speakers_error="No voice found.",
    )
    make_task(
        alice,
        file=True,
        status=Status.FAILED,
        error_code=ErrorCode.DECODE_ERROR,
        error_message="The file could not be decoded.",
        language_probability=1e-05,
        file_size=None,
        duration_seconds=None,
    )
    make_task(alice, file=True, status=Status.CANCELLED, error_message="Cancelled by the owner.")
    # make_task stores jfk.flac as a recording: these become a video and a file afterwards.
    videos = [
        make_task(
            alice,
            file=True,
            status=Status.COMPLETED,
            thumbnail_path="results/still.jpg",
            duration_seconds=123456789012345.0,
        ),
        make_task(alice, file=True, status=Status.COMPLETED, normalized_audio=True),
        make_task(alice, file=True, status=Status.COMPLETED, normalized_audio=True),
    ]
    Task.objects.filter(pk__in=[video.pk for video in videos]).update(kind=Kind.VIDEO)
    blobs.write_bytes(normalized_audio_relpath(videos[1].pk), b"fLaC")
    other = make_task(alice, file=True, status=Status.COMPLETED)
    Task.objects.filter(pk=other.pk).update(kind=Kind.FILE)

    written, serialized = both(api(alice))

    assert written.content == serialized.content
    listed = written.json()["tasks"]
    assert len(listed) == Task.objects.count()
    assert listed[-1]["title"] == tricky and listed[-1]["tags"][0]["name"] == "Audio"
    assert b"\\u2028" in written.content and "\u2028".encode() not in written.content
    videos = [task for task in listed if task["kind"] == Kind.VIDEO]
    assert [task["urls"]["audio"] is not None for task in videos] == [False, True, False]


def test_it_writes_the_queue_position_and_eta_of_waiting_and_running_tasks(
    alice: User,
    settings: Any,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    both: Callable[..., tuple[Any, Any]],
) -> None:
    settings.ETA_CACHE_SECONDS = 600  # the same schedule for both answers
    WorkerProcess.objects.create(name="w", hostname="h", pid=1, device="cpu")
    make_task(
        alice,
        file=True,
        status=Status.PROCESSING,
        progress=25.5,
        started_at=timezone.now() - timedelta(seconds=10),
        queued_at=timezone.now() - timedelta(seconds=20),
    )
    for _ in range(2):
        make_task(alice, file=True, status=Status.PENDING, queued_at=timezone.now())
    make_task(alice, title="To-do in progress", status=Status.IN_PROGRESS)

    written, serialized = both(api(alice))

    assert written.content == serialized.content
    listed = written.json()["tasks"]
    assert [task["queue_position"] for task in listed] == [None, 2, 1, 0]
    assert all(task["eta"]["estimated_finish"] for task in listed[1:])


@pytest.mark.parametrize("language", ["en", "fa"])
def test_it_names_a_personal_workspace_in_the_readers_language(
    language: str,
    alice: User,
    team: Any,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    both: Callable[..., tuple[Any, Any]],
) -> None:
    make_task(alice, title="Mine")
    make_task(alice, title="Ours", workspace=team)

    written, serialized = both(api(alice), HTTP_ACCEPT_LANGUAGE=language)

    assert written.content == serialized.content
    names = [task["workspace_name"] for task in written.json()["tasks"]]
    assert names[0] == team.name and names[1] == ("Personal" if language == "en" else "شخصی")


def test_it_pages_filters_and_orders_as_the_serializer_path_does(
    alice: User,
    bob: User,
    team: Any,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    both: Callable[..., tuple[Any, Any]],
) -> None:
    from tasks_app.tags.models import Tag

    tag = Tag.objects.create(workspace=team, name="urgent")
    for number in range(12):
        task = make_task(
            alice,
            title=f"T{number:02}",
            workspace=team if number % 2 else alice.personal_workspace,
            assignee=bob if number % 3 == 0 and number % 2 else None,
            priority=[Priority.LOW, Priority.HIGH, Priority.URGENT][number % 3],
        )
        if number % 4 == 1:
            task.tags.add(tag)
    client = api(alice)
    make_task(alice, title="Late", due_date=datetime(2020, 1, 1, tzinfo=UTC), assignee=alice)
    for query in (
        {"skip": 3, "limit": 4, "ordering": "title"},
        {"ordering": "-priority"},
        {"ordering": "due_date"},
        {"ordering": "-status"},
        {"tag": tag.pk},
        {"tag": [tag.pk, tag.pk]},
        {"workspace": team.pk, "ordering": "-title"},
        {"q": "T1"},
        {"q": "Late", "overdue": "true"},
        {"overdue": "false", "priority": Priority.URGENT},
        {"assignee": "me"},
        {"assignee": str(bob.pk), "status_filter": Status.PENDING},
        {"skip": 50},
    ):
        written, serialized = both(client, query)
        assert written.content == serialized.content, query
    # Past the end there is no row to carry the total: it is counted on its own.
    assert written.json() == {"tasks": [], "total": 13}
    assert [t["title"] for t in both(client, {"tag": tag.pk})[0].json()["tasks"]] == [
        "T09",
        "T05",
        "T01",
    ]


def test_it_builds_no_task_object_for_a_page_without_a_kept_sound_track(
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    for number in range(3):
        make_task(alice, title=f"T{number}", file=True, status=Status.COMPLETED)
    built: list[Task] = []

    def seen(sender: type, instance: Task, **kwargs: Any) -> None:
        built.append(instance)

    post_init.connect(seen, sender=Task)
    try:
        response = api(alice).get(URL)
    finally:
        post_init.disconnect(seen, sender=Task)
    assert len(response.json()["tasks"]) == 3
    assert built == []


def test_it_leaves_other_time_zones_to_the_serializer(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    make_task(alice, due_date=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    with timezone.override("Asia/Tehran"):
        assert not task_json.available()
        listed = api(alice).get(URL).json()["tasks"]
    assert listed[0]["due_date"] == "2026-03-01T15:30:00+03:30"


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The pages whose statement was compiled, as (start, stop), one entry per compilation."""
    compiled: list[tuple[int, int]] = []
    statement = task_json._statement

    def counted(*args: Any) -> tuple[str, tuple[Any, ...]]:
        _tasks, start, stop, *_rest = args
        compiled.append((start, stop))
        return statement(*args)

    monkeypatch.setattr(task_json, "_statement", counted)
    return compiled


def test_it_compiles_a_readers_page_once_and_still_reads_the_database_each_time(
    alice: User,
    team: Any,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    compiles: list[tuple[int, int]],
) -> None:
    from tasks_app.workspaces.models import Membership

    make_task(alice, title="Mine")
    make_task(alice, title="Ours", workspace=team)
    client = api(alice)

    first = client.get(URL).json()
    make_task(alice, title="Later")
    second = client.get(URL).json()
    Membership.objects.filter(workspace=team, user=alice).delete()
    third = client.get(URL).json()

    assert compiles == [(0, 100)]
    assert [task["title"] for task in first["tasks"]] == ["Ours", "Mine"]
    assert [task["title"] for task in second["tasks"]] == ["Later", "Ours", "Mine"]
    # Leaving the workspace ends access at once: the kept statement asks about membership.
    assert [task["title"] for task in third["tasks"]] == ["Later", "Mine"]
    assert third["total"] == 2


def test_it_keeps_a_statement_per_reader_page_filter_and_language(
    alice: User,
    bob: User,
    charlie: User,
    team: Any,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    compiles: list[tuple[int, int]],
) -> None:
    make_task(alice, title="Alice's own", priority=Priority.HIGH)
    make_task(alice, title="The team's", workspace=team)
    make_task(charlie, title="Charlie's own")

    def titles(user: User, query: dict[str, Any] | None = None, **headers: Any) -> list[str]:
        tasks = api(user).get(URL, query or {}, **headers).json()["tasks"]
        return [task["title"] for task in tasks]

    assert titles(alice) == ["The team's", "Alice's own"]
    assert titles(bob) == ["The team's"]
    assert titles(charlie) == ["Charlie's own"]
    assert titles(alice, {"priority": Priority.HIGH}) == ["Alice's own"]
    assert titles(alice, {"skip": 1, "limit": 1}) == ["Alice's own"]
    english = api(alice).get(URL).json()["tasks"][1]["workspace_name"]
    persian = api(alice).get(URL, HTTP_ACCEPT_LANGUAGE="fa").json()["tasks"][1]["workspace_name"]

    assert (english, persian) == ("Personal", "شخصی")
    assert compiles == [(0, 100), (0, 100), (0, 100), (0, 100), (1, 2), (0, 100)]


def test_it_compiles_the_overdue_filter_on_every_request(
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    compiles: list[tuple[int, int]],
) -> None:
    # It compares due dates with the time of the request, which the statement carries.
    soon = make_task(alice, title="Soon", kind=Kind.TODO, due_date=timezone.now() + HOUR)
    client = api(alice)

    before = client.get(URL, {"overdue": "true"}).json()["tasks"]
    # Due after the first request: a statement kept from it would leave the task out.
    Task.objects.filter(pk=soon.pk).update(due_date=timezone.now())
    after = client.get(URL, {"overdue": "true"}).json()["tasks"]

    assert before == [] and [task["title"] for task in after] == ["Soon"]
    assert compiles == [(0, 100), (0, 100)]


def test_its_tag_lookup_is_covered_by_an_index(
    alice: User, team: Any, make_task: Callable[..., Task]
) -> None:
    # Each tag of each task is looked up by its id; with name and colour in the index
    # (migration 0012) that lookup never reads the table. Whether PostgreSQL takes it depends
    # on the data (bench/LOAD.md: 250 tags); here every other way is ruled out, so the plan
    # shows whether the index serves the lookup alone.
    from django.db import connection

    from tasks_app import services
    from tasks_app.tags.models import Tag

    tags = Tag.objects.bulk_create(Tag(workspace=team, name=f"tag {n}") for n in range(30))
    make_task(alice, workspace=team).tags.add(*tags[:3])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        sql, params = task_json._statement(services.tasks_for_user(alice), 0, 100, alice.pk)
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = [line.strip() for (line,) in cursor.fetchall()]

    lookups = [line for line in plan if " on tasks_app_tag " in f"{line} "]
    assert lookups and all(
        line.startswith("->  Index Only Scan using tag_lookup on tasks_app_tag") for line in lookups
    ), plan


def test_it_plans_each_readers_list_for_that_reader(
    alice: User, charlie: User, api: Callable[..., APIClient]
) -> None:
    # PostgreSQL keeps a plan per prepared statement and, after five runs, may keep a generic
    # one. Made on alice's list (she sees most tasks: walk the newest, keep hers), it read
    # every task of hers to find charlie's three, older than all of them.
    from django.db import connection

    from tasks_app.workspaces.models import Membership, Role, Workspace

    now = timezone.now()
    personal = Workspace.objects.get(personal_owner=charlie)
    Task.objects.bulk_create(
        Task(user=charlie, workspace=personal, title=f"mine {n}", created_at=now - 10 * HOUR)
        for n in range(3)
    )
    teams = Workspace.objects.bulk_create(
        Workspace(name=f"Team {n}", created_by=alice) for n in range(30)
    )
    Membership.objects.bulk_create(
        Membership(workspace=team, user=alice, role=Role.ADMIN) for team in teams
    )
    Task.objects.bulk_create(
        Task(user=alice, workspace=team, title=f"team {n}", created_at=now - HOUR)
        for team in teams
        for n in range(100)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_app_task, tasks_app_membership, tasks_app_workspace")
    hers, his = api(alice), api(charlie)
    for _ in range(8):
        assert hers.get(URL, {"limit": 100}).json()["total"] == 3000
    for _ in range(7):
        assert his.get(URL, {"limit": 100}).json()["total"] == 3

    def tasks_read() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
                " FROM pg_stat_xact_user_tables WHERE relname = 'tasks_app_task'"
            )
            return cursor.fetchone()[0]

    before = tasks_read()
    titles = [task["title"] for task in his.get(URL, {"limit": 100}).json()["tasks"]]
    assert sorted(titles) == ["mine 0", "mine 1", "mine 2"]
    # His three for the page and three for the count, not alice's 3000.
    assert tasks_read() - before < 100


def test_it_writes_the_readers_id_in_and_keeps_every_other_parameter_in_its_place() -> None:
    import uuid

    reader, other = uuid.uuid4(), uuid.uuid4()
    sql, params = task_json._written_in(
        "a = %s AND b LIKE '%%x' AND c = %s AND d = %s AND e = %s",
        [reader, other, 5, reader],
        reader,
    )
    assert (
        sql
        == f"a = '{reader}'::uuid AND b LIKE '%%x' AND c = %s AND d = %s AND e = '{reader}'::uuid"
    )
    assert params == (other, 5)
