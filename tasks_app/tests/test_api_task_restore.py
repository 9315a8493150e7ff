"""POST /api/v1/tasks/{id}/restore: a deleted task comes back from the Trash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from tasks_app import services
from tasks_app.models import Status, Task


def test_it_restores_a_deleted_task(
    api: Callable[[User | None], APIClient],
    alice: User,
    make_task: Callable[..., Task],
    result: dict[str, Any],
) -> None:
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    assert api(alice).delete(f"/api/v1/tasks/{task.pk}").status_code == 204
    assert api(alice).get(f"/api/v1/tasks/{task.pk}").status_code == 404
    response = api(alice).post(f"/api/v1/tasks/{task.pk}/restore")
    assert response.status_code == 200
    assert response.json()["id"] == str(task.pk) and response.json()["status"] == "COMPLETED"
    assert api(alice).get(f"/api/v1/tasks/{task.pk}/result?format=txt").status_code == 200


def test_it_is_404_for_a_live_task_a_strangers_task_and_a_bad_id(
    api: Callable[[User | None], APIClient],
    alice: User,
    charlie: User,
    make_task: Callable[..., Task],
) -> None:
    live = make_task(alice)
    gone = make_task(alice)
    services.delete_task(gone)
    for client, task_id in [(api(alice), live.pk), (api(charlie), gone.pk), (api(alice), "nope")]:
        response = client.post(f"/api/v1/tasks/{task_id}/restore")
        assert response.status_code == 404
        assert response.json()["detail"]
    gone.refresh_from_db()
    assert gone.deleted_at is not None


def test_it_requires_authentication(
    api: Callable[[User | None], APIClient], alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    services.delete_task(task)
    assert api(None).post(f"/api/v1/tasks/{task.pk}/restore").status_code == 401


def test_it_is_in_the_schema(api: Callable[[User | None], APIClient], db: None) -> None:
    schema = api(None).get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/tasks/{task_id}/restore"]["post"]
    assert operation["operationId"] == "tasks_restore"
    assert set(operation["responses"]) >= {"200", "404"}
