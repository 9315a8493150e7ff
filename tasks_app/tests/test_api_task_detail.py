"""GET, PATCH, PUT and DELETE /api/v1/tasks/<id>."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Status, Task


def url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}"


def test_it_shows_a_task_with_its_progress_and_file(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(
        alice,
        file=True,
        status=Status.FAILED,
        progress=42.0,
        error_code="DECODE_ERROR",
        error_message="The file could not be decoded as audio.",
        attempts=2,
        detected_language="en",
    )
    body = api(alice).get(url(task)).json()
    assert body["id"] == str(task.pk)
    assert body["status"] == "FAILED"
    assert body["progress"] == 42.0
    assert body["error"] == {
        "code": "DECODE_ERROR",
        "detail": "The file could not be decoded as audio.",
    }
    assert body["attempts"] == 2
    assert body["detected_language"] == "en"
    assert body["file"]["name"] == "jfk.flac"
    assert body["file"]["duration_seconds"] == 11.0
    assert body["urls"]["file"] == f"/api/v1/tasks/{task.pk}/file"
    assert body["urls"]["result"] is None
    assert body["has_result"] is False


def test_it_shows_the_place_in_the_queue(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    first = make_task(alice, file=True, status=Status.IN_PROGRESS, queued_at="2026-01-01T00:00Z")
    second = make_task(alice, file=True, status=Status.IN_PROGRESS, queued_at="2026-01-01T00:01Z")
    done = make_task(alice, file=True, status=Status.COMPLETED)
    client = api(alice)
    assert client.get(url(first)).json()["queue_position"] == 1
    assert client.get(url(second)).json()["queue_position"] == 2
    assert client.get(url(done)).json()["queue_position"] is None
    assert client.get(url(done)).json()["eta"] is None


def test_it_renames_and_describes_a_task(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    response = api(alice).patch(
        url(task), {"title": "  Renamed ", "description": "New"}, format="json"
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.title, task.description) == ("Renamed", "New")


def test_it_replaces_with_put_and_requires_a_title(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    response = api(alice).put(url(task), {"description": "no title"}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()
    response = api(alice).put(url(task), {"title": "T", "due_date": None}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("target", ["IN_PROGRESS", "COMPLETED", "CANCELLED", "PENDING"])
def test_it_lets_the_owner_move_a_todo(
    target: str, alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, status=Status.IN_PROGRESS if target == "PENDING" else Status.PENDING)
    response = api(alice).patch(url(task), {"status": target}, format="json")
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == target
    assert (task.completed_at is not None) == (target == "COMPLETED")


def test_it_refuses_processing_and_failed_for_a_todo(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    for target in ("PROCESSING", "FAILED"):
        response = api(alice).patch(url(task), {"status": target}, format="json")
        assert response.status_code == 400
        assert "status" in response.json()
    task.refresh_from_db()
    assert task.status == Status.PENDING


def test_it_refuses_to_set_a_transcriptions_status_by_hand(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    response = api(alice).patch(url(task), {"status": "COMPLETED"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    task.refresh_from_db()
    assert task.status == Status.PROCESSING


def test_it_refuses_an_overlong_title(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    response = api(alice).patch(url(task), {"title": "x" * 256}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()


def test_it_soft_deletes_and_cancels_an_active_transcription(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    response = api(alice).delete(url(task))
    assert response.status_code == 204
    task.refresh_from_db()
    assert task.deleted_at is not None
    assert task.status == Status.CANCELLED
    assert api(alice).get(url(task)).status_code == 404


def test_it_answers_json_to_a_malformed_body(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    response = api(alice).generic("PATCH", url(task), b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
