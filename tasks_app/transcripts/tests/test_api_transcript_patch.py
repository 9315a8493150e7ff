"""PATCH /api/v1/tasks/{id}/transcript: operations on a version, 409 when stale."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Status, Task
from tasks_app.transcripts.models import TranscriptRevision


def patch(client: APIClient, task: Task, body: Any) -> Any:
    return client.patch(f"/api/v1/tasks/{task.pk}/transcript", body, format="json")


def test_it_applies_operations_as_one_revision(
    transcribed: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    task = transcribed()
    operations = [
        {"op": "edit", "id": 0, "text": "And so, my fellow Americans:"},
        {"op": "split", "id": 1, "at": 8},
        {"op": "rename_speaker", "from": "Speaker 1", "to": "Dr. Karimi"},
    ]
    response = patch(api(alice), task, {"version": 0, "operations": operations})
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert [s["id"] for s in body["segments"]] == [0, 1, 3, 2]
    assert body["segments"][2]["text"] == "what your country can do for you."
    assert body["speakers"] == ["Dr. Karimi", "Speaker 2"]
    revision = TranscriptRevision.objects.get(task=task)
    assert revision.author == alice
    assert revision.summary == "Edited segment 0; Split segment 1; Renamed Speaker 1 to Dr. Karimi"


def test_it_refuses_a_stale_version_with_the_current_text(
    transcribed: Callable[..., Task],
    alice: User,
    api: Callable[[User | None], APIClient],
) -> None:
    task = transcribed()
    first = [{"op": "edit", "id": 2, "text": "Thanks."}]
    assert patch(api(alice), task, {"version": 0, "operations": first}).status_code == 200
    second = [{"op": "edit", "id": 2, "text": "Thank you very much."}]
    response = patch(api(alice), task, {"version": 0, "operations": second})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert "reload" in body["detail"]
    assert body["transcript"]["version"] == 1
    assert body["transcript"]["segments"][2]["text"] == "Thanks."
    assert TranscriptRevision.objects.filter(task=task).count() == 1


@pytest.mark.parametrize("status", [Status.PROCESSING, Status.PENDING])
def test_it_refuses_edits_while_the_task_is_processing(
    transcribed: Callable[..., Task],
    alice: User,
    api: Callable[[User | None], APIClient],
    status: Status,
) -> None:
    task = transcribed(status=status)
    body = {"version": 0, "operations": [{"op": "delete", "id": 0}]}
    response = patch(api(alice), task, body)
    assert response.status_code == 409
    assert response.json()["code"] == "task_not_completed"
    assert "once it has completed" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"version": 0, "operations": [{"op": "edit", "id": 1, "start": -2}]},
            "operations[0].start",
        ),
        (
            {"version": 0, "operations": [{"op": "edit", "id": 1, "start": 3.9}]},
            "operations[0].start",
        ),
        ({"version": 0, "operations": [{"op": "edit", "id": 1, "end": 4.0}]}, "operations[0].end"),
        ({"version": 0, "operations": [{"op": "merge", "id": 2}]}, "operations[0].id"),
        ({"version": 0, "operations": [{"op": "delete", "id": 42}]}, "operations[0].id"),
        ({"version": 0, "operations": [{"op": "split", "id": 0, "at": 0}]}, "operations[0].at"),
        ({"version": 0, "operations": [{"op": "replace", "find": ""}]}, "operations[0].find"),
        ({"version": 0, "operations": [{"op": "dance"}]}, "operations[0].op"),
        ({"version": 0, "operations": []}, "operations"),
        ({"version": 0}, "operations"),
        ({"operations": [{"op": "delete", "id": 0}]}, "version"),
        ({"version": "0", "operations": [{"op": "delete", "id": 0}]}, "version"),
        ([{"op": "delete", "id": 0}], "version"),
    ],
)
def test_it_answers_400_with_the_field(
    transcribed: Callable[..., Task],
    alice: User,
    api: Callable[[User | None], APIClient],
    body: Any,
    field: str,
) -> None:
    task = transcribed()
    response = patch(api(alice), task, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_operation"
    assert response.json()["field"] == field
    assert response.json()["detail"]
    task.refresh_from_db()
    assert task.transcript_version == 0


def test_it_answers_409_for_a_task_without_a_transcript(
    make_task: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    response = patch(api(alice), make_task(alice), {"version": 0, "operations": []})
    assert response.status_code == 409
    assert response.json()["code"] == "transcript_not_ready"
