"""POST /dashboard/tasks/<id>/transcript/speaker/rename: a speaker renamed everywhere."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def test_it_renames_a_speaker_everywhere(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "speaker", "ids": [0], "speaker": "Speaker 1"}])
    data = {"version": "1", "from": "Speaker 1", "to": "Dr. Karimi"}
    response = signed_in(client, alice).post(url(task, "/speaker/rename"), data, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('<span class="seg-speaker" dir="auto">Dr. Karimi</span>') == 2
    assert ">Speaker 1</span>" not in body
    assert TranscriptRevision.objects.get(task=task, number=2).summary == (
        "Renamed Speaker 1 to Dr. Karimi"
    )


def test_it_asks_for_the_new_name(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "from": "Speaker 1", "to": "  "}
    response = signed_in(client, alice).post(url(task, "/speaker/rename"), data, **HTMX)
    assert response.status_code == 400
    assert "Type the new name." in response.content.decode()


def test_it_refuses_a_stale_version_and_keeps_the_name_typed(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks."}])
    data = {"version": "0", "from": "Speaker 1", "to": "Dr. Karimi"}
    response = signed_in(client, alice).post(url(task, "/speaker/rename"), data, **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this transcript" in body
    assert (
        'id="rename-to" name="to" dir="auto" required autocomplete="off" value="Dr. Karimi"' in body
    )


def test_it_is_404_for_a_stranger(
    client: Client, charlie: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "from": "Speaker 1", "to": "Charlie"}
    assert signed_in(client, charlie).post(url(task, "/speaker/rename"), data).status_code == 404
    assert not TranscriptRevision.objects.filter(task=task).exists()
