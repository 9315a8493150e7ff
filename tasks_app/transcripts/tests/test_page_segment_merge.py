"""POST /dashboard/tasks/<id>/transcript/segments/<n>/merge: merge with the next segment."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def test_it_merges_with_the_next_segment(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "text": "ask not what your country can do for you.", "at": ""}
    response = signed_in(client, alice).post(url(task, "/segments/1/merge"), data, **HTMX)
    assert response.status_code == 200
    task.refresh_from_db()
    merged = services.current(task).segments
    assert [s["id"] for s in merged] == [0, 1]
    assert merged[1]["text"] == "ask not what your country can do for you. Thank you."
    assert TranscriptRevision.objects.get(task=task).summary == "Merged segments 1 and 2"


def test_it_says_the_last_segment_has_nothing_to_merge_with(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "text": "Thank you, all."}
    response = signed_in(client, alice).post(url(task, "/segments/2/merge"), data, **HTMX)
    assert response.status_code == 400
    body = response.content.decode()
    assert "The last segment has no next segment to merge with." in body
    assert ">Thank you, all.</textarea>" in body
    assert not TranscriptRevision.objects.filter(task=task).exists()


def test_it_is_404_for_a_stranger(
    client: Client, charlie: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, charlie).post(url(task, "/segments/1/merge"), {"version": "0"})
    assert response.status_code == 404
    assert not TranscriptRevision.objects.filter(task=task).exists()
