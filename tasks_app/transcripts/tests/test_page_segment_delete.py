"""POST /dashboard/tasks/<id>/transcript/segments/<n>/delete."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def test_it_deletes_the_segment(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).post(
        url(task, "/segments/2/delete"), {"version": "0"}, **HTMX
    )
    assert response.status_code == 200
    assert 'id="seg-2"' not in response.content.decode()
    task.refresh_from_db()
    assert [s["id"] for s in services.current(task).segments] == [0, 1]


def test_it_refuses_a_stale_version(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks."}])
    response = signed_in(client, alice).post(
        url(task, "/segments/2/delete"), {"version": "0"}, **HTMX
    )
    assert response.status_code == 409
    assert "Someone else changed this transcript" in response.content.decode()
    assert TranscriptRevision.objects.filter(task=task).count() == 1


def test_it_goes_back_to_the_transcript_without_javascript(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).post(url(task, "/segments/2/delete"), {"version": "0"})
    assert response["Location"] == f"/dashboard/tasks/{task.pk}#workspace"


def test_it_is_404_for_a_stranger(
    client: Client, charlie: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, charlie).post(url(task, "/segments/2/delete"), {"version": "0"})
    assert response.status_code == 404
    assert not TranscriptRevision.objects.filter(task=task).exists()
