"""GET /api/v1/tasks/{id}/transcript."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Status, Task
from tasks_app.transcripts import services


def url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}/transcript"


def test_it_gives_segments_with_ids_and_the_version(
    transcribed: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    body = api(alice).get(url(transcribed())).json()
    assert body["version"] == 0
    assert body["editable"] is True and body["edited"] is False
    assert body["speakers"] == ["Speaker 1", "Speaker 2"]
    first = body["segments"][0]
    assert (first["id"], first["start"], first["end"]) == (0, 0.0, 4.0)
    assert first["text"] == "And so my fellow Americans,"
    assert first["speaker"] is None and len(first["words"]) == 5


def test_it_gives_the_newest_revision(
    transcribed: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "delete", "id": 0}])
    body = api(alice).get(url(task)).json()
    assert body["version"] == 1 and body["edited"] is True
    assert [s["id"] for s in body["segments"]] == [1, 2]


def test_it_shows_a_running_tasks_partial_transcript_read_only(
    transcribed: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    body = api(alice).get(url(transcribed(status=Status.PROCESSING))).json()
    assert body["editable"] is False
    assert len(body["segments"]) == 3


def test_it_answers_409_before_there_is_a_transcript(
    make_task: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    task = make_task(alice, file=True, status=Status.IN_PROGRESS)
    response = api(alice).get(url(task))
    assert response.status_code == 409
    assert response.json()["code"] == "transcript_not_ready"
    todo = make_task(alice)
    assert api(alice).get(url(todo)).json()["code"] == "transcript_not_ready"
