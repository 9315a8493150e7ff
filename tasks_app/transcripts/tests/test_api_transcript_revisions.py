"""GET /api/v1/tasks/{id}/transcript/revisions: the history, the machine's transcript last."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services


def test_it_lists_who_changed_what_and_when(
    transcribed: Callable[..., Task],
    alice: User,
    api: Callable[[User | None], APIClient],
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "delete", "id": 0}])
    services.apply(task, None, 1, [{"op": "speaker", "ids": [1, 2], "speaker": "Host"}])
    body = api(alice).get(f"/api/v1/tasks/{task.pk}/transcript/revisions").json()
    assert body["version"] == 2
    latest, first, original = body["revisions"]
    assert (latest["number"], latest["author"]) == (2, "")
    assert latest["summary"] == "Set the speaker of 2 segments to Host"
    assert (first["number"], first["author"]) == (1, alice.get_username())
    assert first["summary"] == "Deleted segment 0" and first["created_at"]
    assert (original["number"], original["summary"]) == (0, "The machine's transcript")


def test_it_answers_409_for_a_task_without_a_transcript(
    make_task: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    response = api(alice).get(f"/api/v1/tasks/{make_task(alice).pk}/transcript/revisions")
    assert response.status_code == 409
    assert response.json()["code"] == "transcript_not_ready"
