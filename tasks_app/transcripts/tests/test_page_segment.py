"""GET /dashboard/tasks/<id>/transcript/segments/<n>: one segment, read-only (Cancel)."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def test_it_renders_the_segment_for_htmx(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).get(url(task, "/segments/2"), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<li class="seg" id="seg-2"')
    assert "Thank you." in body


def test_it_sends_a_browser_back_to_the_segment_on_the_task_page(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).get(url(task, "/segments/2"))
    assert response["Location"] == f"/dashboard/tasks/{task.pk}#seg-2"


def test_it_is_404_for_a_stranger(
    client: Client, charlie: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    assert signed_in(client, charlie).get(url(task, "/segments/2"), **HTMX).status_code == 404
