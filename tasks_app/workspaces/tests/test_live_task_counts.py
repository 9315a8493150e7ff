"""LiveTaskCount: each workspace's live tasks, counted by PostgreSQL's triggers through every
way a task is written, set again by `manage.py recount_tasks`, and the API list's total."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app import services
from tasks_app.models import Status, Task
from tasks_app.workspaces import counts
from tasks_app.workspaces.models import LiveTaskCount, Membership, Workspace
from writers.tests.test_private_storage import fresh_env, manage

URL = "/api/v1/tasks"


def counted() -> dict[int, int]:
    return {row.workspace_id: row.live for row in LiveTaskCount.objects.all() if row.live}


def actual() -> dict[int, int]:
    rows = Task.objects.alive().values("workspace").annotate(n=Count("pk"))
    return {row["workspace"]: row["n"] for row in rows}


def test_it_counts_a_workspaces_live_tasks_through_every_kind_of_write(
    alice: User, bob: User, team: Workspace, make_task: Callable[..., Task]
) -> None:
    personal = Workspace.objects.get(personal_owner=alice)
    mine = make_task(alice)
    shared = make_task(alice, workspace=team)
    Task.objects.bulk_create(Task(user=bob, workspace=team, title=f"b{n}") for n in range(3))
    assert counted() == actual() == {personal.pk: 1, team.pk: 4}

    services.delete_task(shared)
    assert counted() == actual() == {personal.pk: 1, team.pk: 3}
    services.restore_task(shared)
    assert counted() == actual() == {personal.pk: 1, team.pk: 4}

    mine.title = "Renamed"
    mine.save()
    assert counted() == {personal.pk: 1, team.pk: 4}
    mine.workspace = team
    mine.save()
    assert counted() == actual() == {team.pk: 5}

    Task.objects.filter(user=bob).update(workspace=personal)
    assert counted() == actual() == {personal.pk: 3, team.pk: 2}
    Task.objects.filter(user=bob).delete()
    assert counted() == actual() == {team.pk: 2}

    # A task in the Trash was already uncounted: purging its row changes nothing.
    services.delete_task(mine)
    Task.objects.filter(pk=mine.pk).delete()
    assert counted() == actual() == {team.pk: 1}


@pytest.mark.django_db(transaction=True)
def test_it_counts_tasks_made_and_moved_at_once_by_many_connections(
    alice: User, team: Workspace
) -> None:
    personal = Workspace.objects.get(personal_owner=alice)
    Task.objects.bulk_create(
        Task(user=alice, workspace=workspace, title="seed")
        for workspace in (personal, team)
        for _ in range(20)
    )
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def create() -> None:
        start.wait()
        for n in range(10):
            services.create_task(alice, title=f"new {n}", workspace=team.pk)

    def move(source: Workspace, target: Workspace) -> None:
        # One statement moves many tasks: its triggers lock both counts, lower id first, so the
        # move the other way waits instead of deadlocking.
        start.wait()
        for _ in range(10):
            with transaction.atomic():
                ids = list(Task.objects.filter(workspace=source).values_list("pk", flat=True)[:5])
                Task.objects.filter(pk__in=ids).update(workspace=target)

    def run(work: Callable[..., None], *args: Any) -> None:
        try:
            work(*args)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(create,)) for _ in range(4)]
    threads += [
        threading.Thread(target=run, args=(move, personal, team)),
        threading.Thread(target=run, args=(move, team, personal)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert counted() == actual()
    assert sum(counted().values()) == 80


def test_it_sets_every_count_again_from_the_tasks(
    alice: User, team: Workspace, make_task: Callable[..., Task]
) -> None:
    make_task(alice)
    make_task(alice, workspace=team)
    make_task(alice, workspace=team)
    services.delete_task(make_task(alice, workspace=team))
    right = counted()
    # As after a data-only restore with the triggers off.
    LiveTaskCount.objects.filter(workspace=team).update(live=99)
    LiveTaskCount.objects.exclude(workspace=team).delete()
    call_command("recount_tasks", stdout=io.StringIO())
    assert counted() == right == actual()


def test_it_refuses_to_recount_on_sqlite_and_says_why(tmp_path: Path) -> None:
    # `make run`'s SQLite has no triggers and no counts: the command must say so and fail, not
    # report a recount it did not do.
    result = manage("recount_tasks", env=fresh_env(tmp_path))
    assert result.returncode == 1
    assert "Only PostgreSQL keeps task counts" in result.stderr
    assert "Recounted" not in result.stdout


def test_it_can_take_the_triggers_out_and_put_them_back(alice: User) -> None:
    # What migrating back past 0013 and forward again does.
    counts.uninstall(connection)
    Task.objects.create(user=alice, title="Uncounted")
    assert counted() == {}
    counts.install(connection)
    counts.recount(connection)
    Task.objects.create(user=alice, title="Counted")
    assert counted() == actual() == {Workspace.objects.get(personal_owner=alice).pk: 2}


def test_it_totals_the_list_from_the_counts_when_it_keeps_whole_workspaces(
    alice: User,
    bob: User,
    team: Workspace,
    make_task: Callable[..., Task],
    api: Callable[..., APIClient],
) -> None:
    for _ in range(3):
        make_task(alice)
    for _ in range(4):
        make_task(bob, workspace=team, status=Status.COMPLETED)
    make_task(bob)
    services.delete_task(make_task(alice, workspace=team))
    client = api(alice)

    def total(query: dict[str, Any]) -> tuple[int, bool]:
        with CaptureQueriesContext(connection) as queries:
            body = client.get(URL, {"limit": 2, **query}).json()
        page = next(q["sql"] for q in queries if "AS counted" in q["sql"])
        return body["total"], "tasks_app_livetaskcount" in page

    assert total({}) == (7, True)
    assert total({"ordering": "title"}) == (7, True)
    assert total({"workspace": team.pk}) == (4, True)
    assert total({"status_filter": Status.COMPLETED}) == (4, False)
    assert total({"workspace": team.pk, "status_filter": Status.PENDING}) == (0, False)
    # Removed from the team: its tasks leave her total at once.
    Membership.objects.filter(workspace=team, user=alice).delete()
    assert total({}) == (3, True)


def test_it_keeps_whole_workspaces_only_without_any_other_filter(alice: User) -> None:
    whole = services.TaskFilters(ordering="-priority", workspace_id=7)
    assert whole.whole_workspaces()
    others = {
        "status": Status.PENDING,
        "q": "x",
        "kind": "todo",
        "created_from": date(2026, 1, 1),
        "created_to": date(2026, 1, 1),
        "assignee_id": alice.pk,
        "tag_ids": (1,),
        "priority": "high",
        "overdue": False,
    }
    # Every filter the list has: one added later must be named here.
    assert set(others) | {"ordering", "workspace_id"} == set(
        services.TaskFilters.__dataclass_fields__
    )
    for name, value in others.items():
        filters = services.TaskFilters(**{name: value})
        assert not filters.whole_workspaces(), name
