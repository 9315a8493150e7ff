"""POST /dashboard/tasks/<id>/transcript/revisions/<n>/restore."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def test_it_restores_the_machine_transcript_as_a_new_revision(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks."}])
    response = signed_in(client, alice).post(
        url(task, "/revisions/0/restore"), {"version": "1"}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Revision 0 restored." in body
    assert "Thank you." in body
    task.refresh_from_db()
    assert task.transcript_version == 2
    assert services.current(task).segments[2]["text"] == "Thank you."


def test_it_refuses_a_stale_version(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks."}])
    response = signed_in(client, alice).post(
        url(task, "/revisions/0/restore"), {"version": "0"}, **HTMX
    )
    assert response.status_code == 409
    assert TranscriptRevision.objects.filter(task=task).count() == 1


def test_it_is_404_for_a_revision_that_does_not_exist(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).post(url(task, "/revisions/7/restore"), {"version": "0"})
    assert response.status_code == 404


def test_it_says_so_after_going_back_to_the_task_page_without_javascript(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks."}])
    response = signed_in(client, alice).post(url(task, "/revisions/0/restore"), {"version": "1"})
    assert response["Location"] == f"/dashboard/tasks/{task.pk}#workspace"


def test_it_is_404_for_a_stranger(
    client: Client, alice: User, charlie: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks."}])
    response = signed_in(client, charlie).post(url(task, "/revisions/0/restore"), {"version": "1"})
    assert response.status_code == 404
    assert TranscriptRevision.objects.filter(task=task).count() == 1
