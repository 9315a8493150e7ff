"""POST /dashboard/tasks/<id>/transcript/speaker: the ticked segments' speaker."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def speakers(task: Task) -> list[str | None]:
    task.refresh_from_db()
    return [s["speaker"] for s in services.current(task).segments]


def test_it_assigns_a_speaker_to_the_ticked_segments(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "ids": ["0", "2"], "speaker": "Dr. Karimi"}
    response = signed_in(client, alice).post(url(task, "/speaker"), data, **HTMX)
    assert response.status_code == 200
    assert speakers(task) == ["Dr. Karimi", "Speaker 1", "Dr. Karimi"]
    # The name is offered for the next assignment.
    assert '<option value="Dr. Karimi"></option>' in response.content.decode()


def test_it_clears_the_speaker_with_an_empty_name(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    signed_in(client, alice).post(url(task, "/speaker"), {"version": "0", "ids": ["1"]}, **HTMX)
    assert speakers(task) == [None, None, "Speaker 2"]


def test_it_asks_to_tick_segments_first(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "speaker": "Dr. Karimi"}
    response = signed_in(client, alice).post(url(task, "/speaker"), data, **HTMX)
    assert response.status_code == 400
    assert "Select one or more segments first." in response.content.decode()


def test_it_is_404_for_a_stranger(
    client: Client, charlie: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "ids": ["0"], "speaker": "Charlie"}
    assert signed_in(client, charlie).post(url(task, "/speaker"), data).status_code == 404
    assert not TranscriptRevision.objects.filter(task=task).exists()
