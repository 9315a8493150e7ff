"""POST /api/v1/tasks/<id>/speakers: ask for automatic speaker labels on a finished transcript.
The job itself runs in transcription/tests/test_label_speakers.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import AnalysisStatus, Kind, Status, Task


def url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}/speakers"


@pytest.fixture
def finished(
    alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> Callable[..., Task]:
    def make(**fields: Any) -> Task:
        fields.setdefault("status", Status.COMPLETED)
        return make_task(alice, file=True, result=result, **fields)

    return make


def test_it_queues_the_labelling(
    alice: User, api: Callable[..., APIClient], finished: Callable[..., Task], queues: Any
) -> None:
    task = finished()
    assert api(alice).get(f"/api/v1/tasks/{task.pk}").json()["urls"]["speakers"] == url(task)

    response = api(alice).post(url(task), {"speakers": 3}, format="json")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["speakers_status"] == AnalysisStatus.QUEUED
    assert body["speakers_error"] == ""
    # Busy: no second labelling while this one is on its way.
    assert body["urls"]["speakers"] is None
    task.refresh_from_db()
    assert (task.speakers, task.speakers_status) == (3, AnalysisStatus.QUEUED)
    # Like a transcription it decodes the audio: on the media queue, with the count.
    [job] = queues["media"].get_jobs()
    assert job.func_name == "transcription.jobs.label_speakers"
    assert job.kwargs == {"task_id": str(task.pk), "speakers": 3}


def test_it_refuses_a_second_request_while_one_is_on_its_way(
    alice: User, api: Callable[..., APIClient], finished: Callable[..., Task], queues: Any
) -> None:
    task = finished()
    assert api(alice).post(url(task), {"speakers": 2}, format="json").status_code == 202
    response = api(alice).post(url(task), {"speakers": 2}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "speakers_busy"
    assert queues["media"].count == 1


def test_it_may_be_asked_again_when_a_request_was_lost(
    alice: User, api: Callable[..., APIClient], finished: Callable[..., Task], queues: Any
) -> None:
    task = finished(speakers_status=AnalysisStatus.QUEUED)
    # A job that never ran (Redis lost it) must not block the button for ever.
    Task.objects.filter(pk=task.pk).update(updated_at=timezone.now() - timezone.timedelta(hours=1))
    assert api(alice).post(url(task), {"speakers": 2}, format="json").status_code == 202


@pytest.mark.parametrize("speakers", [0, 11, -1, "two", None, 2.5, True])
def test_it_wants_a_number_of_speakers_from_1_to_10(
    speakers: Any, alice: User, api: Callable[..., APIClient], finished: Callable[..., Task]
) -> None:
    task = finished()
    response = api(alice).post(url(task), {"speakers": speakers}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["speakers"]
    task.refresh_from_db()
    assert task.speakers_status == AnalysisStatus.NONE


def test_it_wants_the_field(
    alice: User, api: Callable[..., APIClient], finished: Callable[..., Task]
) -> None:
    response = api(alice).post(url(finished()), {}, format="json")
    assert response.status_code == 400
    assert response.json()["speakers"]


@pytest.mark.parametrize("status", [Status.PENDING, Status.PROCESSING, Status.FAILED])
def test_it_refuses_an_unfinished_task(
    status: Status, alice: User, api: Callable[..., APIClient], finished: Callable[..., Task]
) -> None:
    task = finished(status=status)
    response = api(alice).post(url(task), {"speakers": 2}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "task_not_completed"


def test_it_refuses_a_text_task(
    alice: User, api: Callable[..., APIClient], finished: Callable[..., Task]
) -> None:
    task = finished()
    Task.objects.filter(pk=task.pk).update(kind=Kind.TEXT)
    response = api(alice).post(url(task), {"speakers": 2}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "task_not_completed"


def test_it_says_the_audio_is_gone(
    alice: User, api: Callable[..., APIClient], finished: Callable[..., Task]
) -> None:
    task = finished(audio_purged_at=timezone.now())
    response = api(alice).post(url(task), {"speakers": 2}, format="json")
    assert response.status_code == 410
    assert response.json()["code"] == "file_gone"
    assert api(alice).get(f"/api/v1/tasks/{task.pk}").json()["urls"]["speakers"] is None


def test_it_forbids_someone_elses_task_and_changes_nothing(
    charlie: User, api: Callable[..., APIClient], finished: Callable[..., Task], queues: Any
) -> None:
    task = finished()
    response = api(charlie).post(url(task), {"speakers": 2}, format="json")
    # The API's rule for a task outside the caller's workspaces (test_api_access covers every
    # route).
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.speakers_status == AnalysisStatus.NONE
    assert queues["media"].count == 0


def test_it_answers_404_for_no_such_task(alice: User, api: Callable[..., APIClient]) -> None:
    response = api(alice).post(
        "/api/v1/tasks/6f1d2d7e-0000-4000-8000-000000000000/speakers",
        {"speakers": 2},
        format="json",
    )
    assert response.status_code == 404
