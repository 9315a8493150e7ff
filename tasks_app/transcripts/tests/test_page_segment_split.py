"""POST /dashboard/tasks/<id>/transcript/segments/<n>/split: split at the cursor."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def segments(task: Task) -> list[tuple[int, str]]:
    task.refresh_from_db()
    return [(s["id"], s["text"]) for s in services.current(task).segments]


def test_it_splits_at_the_cursor(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    text = "ask not what your country can do for you."
    data = {"version": "0", "text": text, "start": "4.5", "end": "9", "at": "8"}
    response = signed_in(client, alice).post(url(task, "/segments/1/split"), data, **HTMX)
    assert response.status_code == 200
    assert segments(task)[1:3] == [(1, "ask not"), (3, "what your country can do for you.")]
    assert TranscriptRevision.objects.get(task=task).summary == "Split segment 1"


def test_it_saves_what_was_typed_before_splitting_it(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    # Typed with a leading space: the cursor's offset counts it, the saved text does not.
    data = {"version": "0", "text": " Thank you, all.", "start": "9.5", "end": "11", "at": "11"}
    signed_in(client, alice).post(url(task, "/segments/2/split"), data, **HTMX)
    assert segments(task)[2:] == [(2, "Thank you,"), (3, "all.")]
    assert TranscriptRevision.objects.get(task=task).summary == "Edited segment 2; Split segment 2"


def test_it_splits_where_typed_without_javascript(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    text = "ask not what your country can do for you."
    # The hidden cursor field stays empty; the form's own page has a field for the offset.
    page = signed_in(client, alice).get(url(task, "/segments/1/edit")).content.decode()
    assert 'name="split_at"' in page
    data = {"version": "0", "text": text, "start": "4.5", "end": "9", "at": "", "split_at": "8"}
    response = signed_in(client, alice).post(url(task, "/segments/1/split"), data)
    assert response["Location"] == f"/dashboard/tasks/{task.pk}#seg-1"
    assert segments(task)[1:3] == [(1, "ask not"), (3, "what your country can do for you.")]


def test_it_asks_for_the_cursor_inside_the_text(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "text": "Thank you.", "start": "9.5", "end": "11", "at": ""}
    response = signed_in(client, alice).post(url(task, "/segments/2/split"), data, **HTMX)
    assert response.status_code == 400
    assert "Put the cursor inside the text" in response.content.decode()
    assert not TranscriptRevision.objects.filter(task=task).exists()


def test_it_is_404_for_a_stranger(
    client: Client, charlie: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "text": "Thank you.", "at": "5"}
    response = signed_in(client, charlie).post(url(task, "/segments/2/split"), data, **HTMX)
    assert response.status_code == 404
    assert not TranscriptRevision.objects.filter(task=task).exists()
