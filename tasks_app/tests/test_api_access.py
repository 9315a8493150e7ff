"""Every task URL, read from the URLconf so a new route is covered the day it is added: someone
outside the task's workspace gets 404 (a 403 would confirm the task exists), a viewer 403 on
every write, an anonymous client 401, and a missing task 404."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, reverse
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app import api_urls
from tasks_app.attachments.models import Attachment
from tasks_app.models import Status, Task

HANDLER_METHODS = ("get", "post", "put", "patch", "delete")


def routes() -> Iterator[tuple[str, str, bool]]:
    """(url name, HTTP method, whether the URL names a task) for every route in the API."""
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        view_class = pattern.callback.view_class
        for method in HANDLER_METHODS:
            if hasattr(view_class, method):
                yield pattern.name, method, "task_id" in pattern.pattern.converters


TASK_ROUTES = [(name, method) for name, method, per_task in routes() if per_task]
# The one route that acts on the Trash instead of on live tasks: someone else's deleted task is
# nobody's business (404, not 403), and a live task is not in the Trash (404).
TRASH_ROUTES = [("restore", "post")]
LIVE_TASK_ROUTES = [route for route in TASK_ROUTES if route not in TRASH_ROUTES]
ALL_ROUTES = [(name, method) for name, method, _per_task in routes()]


# The attachment every test's first task carries (`make_task` below), so that its routes find
# one: an editor's delete or analyse must not stop at "no such attachment".
ATTACHMENT_ID = uuid.UUID("0a77ac40-0000-4000-8000-000000000001")
# Routes that name more than the task, with the value each test puts there.
OTHER_ARGUMENTS = {
    "transcript_restore": [0],
    "task_tag": [0],
    "comment": [0],
    "comment_edits": [0],
    "attachment": [ATTACHMENT_ID],
    "attachment_analyze": [ATTACHMENT_ID],
}
READS = ("get",)
# Writes a viewer may make (viewers read, download and comment).
# Their own comments only: someone else's is refused by the comment, not the role
# (tasks_app/comments/tests/test_api.py).
VIEWER_WRITES: set[tuple[str, str]] = {
    ("comments", "post"),
    ("comment", "patch"),
    ("comment", "delete"),
}
LIVE_WRITES = [
    route for route in LIVE_TASK_ROUTES if route[1] not in READS and route not in VIEWER_WRITES
]
LIVE_READS = [route for route in LIVE_TASK_ROUTES if route[1] in READS]


@pytest.fixture
def make_task(make_task: Callable[..., Task], settings: Any) -> Callable[..., Task]:
    def make(*args: Any, **fields: Any) -> Task:
        task = make_task(*args, **fields)
        if not Attachment.objects.filter(pk=ATTACHMENT_ID).exists():
            relative = f"attachments/{task.pk}/{ATTACHMENT_ID}.bin"
            (settings.STORAGE_ROOT / relative).parent.mkdir(parents=True)
            (settings.STORAGE_ROOT / relative).write_bytes(b"\x00\x01")
            Attachment.objects.create(
                id=ATTACHMENT_ID,
                task=task,
                file_path=relative,
                original_filename="data.bin",
                file_size=2,
                content_type="application/octet-stream",
            )
        return task

    return make


def call(client: APIClient, name: str, method: str, task_id: Any = None) -> Any:
    args = [task_id, *OTHER_ARGUMENTS.get(name, [])] if task_id is not None else []
    url = reverse(f"tasks_api:{name}", args=args)
    return getattr(client, method)(url, {"title": "Changed"}, format="json")


def test_it_enumerates_every_task_action() -> None:
    assert {name for name, _method in TASK_ROUTES} >= {
        "detail",
        "cancel",
        "retry",
        "file",
        "result",
        "transcript",
        "transcript_revisions",
        "transcript_restore",
    }
    assert {method for name, method in TASK_ROUTES if name == "detail"} == {
        "get",
        "put",
        "patch",
        "delete",
    }


def assert_unchanged(task: Task) -> None:
    task.refresh_from_db()
    assert task.title == "Interview"
    assert task.status == Status.FAILED
    assert task.deleted_at is None


@pytest.mark.parametrize(("name", "method"), LIVE_TASK_ROUTES)
def test_it_hides_the_task_from_a_non_member(
    name: str,
    method: str,
    alice: User,
    charlie: User,
    team: Any,
    api: Callable[[User | None], APIClient],
    make_task: Callable[..., Task],
) -> None:
    personal = make_task(alice, file=True, status=Status.FAILED)
    shared = make_task(alice, file=True, status=Status.FAILED, workspace=team)
    for task in (personal, shared):
        response = call(api(charlie), name, method, task.pk)
        # The same answer as for a task that does not exist: nothing confirms it does.
        assert response.status_code == 404
        assert response.json() == call(api(charlie), name, method, uuid.uuid4()).json()
        assert_unchanged(task)


@pytest.mark.parametrize(("name", "method"), LIVE_WRITES)
def test_it_refuses_every_write_to_a_viewer(
    name: str,
    method: str,
    alice: User,
    dave: User,
    team: Any,
    api: Callable[[User | None], APIClient],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED, workspace=team)
    response = call(api(dave), name, method, task.pk)
    assert response.status_code == 403
    assert "viewer" in response.json()["detail"].lower()
    assert_unchanged(task)


@pytest.mark.parametrize(("name", "method"), LIVE_READS)
def test_it_lets_a_viewer_read(
    name: str,
    method: str,
    alice: User,
    dave: User,
    team: Any,
    api: Callable[[User | None], APIClient],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED, workspace=team)
    response = call(api(dave), name, method, task.pk)
    # Not refused for who dave is; what a failed task has to give (409 for a transcript, 404
    # for a result it never made) is the route's own answer, the same as alice's.
    assert response.status_code not in (401, 403)
    assert response.status_code == call(api(alice), name, method, task.pk).status_code


@pytest.mark.parametrize(("name", "method"), LIVE_WRITES)
def test_it_lets_an_editor_write(
    name: str,
    method: str,
    alice: User,
    bob: User,
    team: Any,
    api: Callable[[User | None], APIClient],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED, workspace=team)
    response = call(api(bob), name, method, task.pk)
    assert response.status_code not in (401, 403, 404)


@pytest.mark.parametrize(("name", "method"), ALL_ROUTES)
def test_it_requires_a_signed_in_user(
    name: str,
    method: str,
    alice: User,
    api: Callable[[User | None], APIClient],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, file=True)
    per_task = (name, method) in TASK_ROUTES
    response = call(api(None), name, method, task.pk if per_task else None)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("name", "method"), LIVE_TASK_ROUTES)
def test_it_answers_404_for_missing_and_deleted_tasks(
    name: str,
    method: str,
    alice: User,
    api: Callable[[User | None], APIClient],
    make_task: Callable[..., Task],
) -> None:
    client = api(alice)
    assert call(client, name, method, uuid.uuid4()).status_code == 404
    assert call(client, name, method, "not-a-uuid").json()["detail"]
    deleted = make_task(alice, file=True, status=Status.FAILED)
    Task.objects.filter(pk=deleted.pk).update(deleted_at="2026-01-01T00:00:00Z")
    assert call(client, name, method, deleted.pk).status_code == 404


@pytest.mark.parametrize(("name", "method"), TRASH_ROUTES)
def test_it_finds_only_the_callers_own_deleted_tasks_in_the_trash(
    name: str,
    method: str,
    alice: User,
    charlie: User,
    api: Callable[[User | None], APIClient],
    make_task: Callable[..., Task],
) -> None:
    live = make_task(alice, file=True, status=Status.FAILED)
    deleted = make_task(alice, file=True, status=Status.FAILED)
    Task.objects.filter(pk=deleted.pk).update(deleted_at="2026-01-01T00:00:00Z")
    assert call(api(charlie), name, method, deleted.pk).status_code == 404
    assert call(api(alice), name, method, uuid.uuid4()).status_code == 404
    assert call(api(alice), name, method, "not-a-uuid").json()["detail"]
    assert call(api(alice), name, method, live.pk).status_code == 404
    assert Task.objects.get(pk=deleted.pk).deleted_at is not None
    assert call(api(alice), name, method, deleted.pk).status_code == 200
