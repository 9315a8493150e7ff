"""POST /api/v1/tasks/{id}/transcript/revisions/{n}/restore."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Status, Task
from tasks_app.transcripts import services


def restore(client: APIClient, task: Task, number: int, body: dict | None = None) -> object:
    url = f"/api/v1/tasks/{task.pk}/transcript/revisions/{number}/restore"
    return client.post(url, body or {}, format="json")


def test_it_restores_a_revision_as_a_new_one(
    transcribed: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "delete", "id": 0}])
    response = restore(api(alice), task, 0)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert [s["id"] for s in body["segments"]] == [0, 1, 2]
    assert services.revisions(task)[0].summary == "Restored revision 0"


def test_it_answers_404_for_a_revision_that_does_not_exist(
    transcribed: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    response = restore(api(alice), transcribed(), 3)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_it_refuses_a_stale_version_when_one_is_sent(
    transcribed: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "delete", "id": 0}])
    response = restore(api(alice), task, 0, {"version": 0})
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"
    assert response.json()["transcript"]["version"] == 1
    bad = restore(api(alice), task, 0, {"version": "one"})
    assert (bad.status_code, bad.json()["field"]) == (400, "version")


def test_it_refuses_while_the_task_is_processing(
    transcribed: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    response = restore(api(alice), transcribed(status=Status.PROCESSING), 0)
    assert response.status_code == 409
    assert response.json()["code"] == "task_not_completed"
