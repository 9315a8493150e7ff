"""GET/POST /dashboard/tasks/<id>/transcript/replace: the matches highlighted, then replaced."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def test_it_previews_the_matches_highlighted(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    query = {"find": "you", "replace": "thee", "whole_word": "1"}
    response = signed_in(client, alice).get(url(task, "/replace"), query, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<section class="panel find-replace" id="find-replace"')
    assert "2 matches in 2 segments" in body
    assert "ask not what your country can do for <mark>you</mark>." in body
    assert "ask not what your country can do for <mark>thee</mark>." in body
    # "your" is not a whole-word match.
    assert "<mark>you</mark>r" not in body
    assert not TranscriptRevision.objects.filter(task=task).exists()


def test_it_escapes_the_text_around_the_marks(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "<b>Thank</b> you."}])
    task.refresh_from_db()
    response = signed_in(client, alice).get(url(task, "/replace"), {"find": "thank"}, **HTMX)
    assert "&lt;b&gt;<mark>Thank</mark>&lt;/b&gt; you." in response.content.decode()


def test_it_shows_what_a_replace_by_nothing_removes_struck_through(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    query = {"find": " can do", "replace": ""}
    response = signed_in(client, alice).get(url(task, "/replace"), query, **HTMX)
    assert "ask not what your country<del> can do</del> for you." in response.content.decode()


def test_it_says_when_nothing_matches(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).get(url(task, "/replace"), {"find": "zebra"}, **HTMX)
    assert "Nothing in the transcript matches." in response.content.decode()


def test_it_replaces_every_match_as_one_revision(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "find": "you", "replace": "thee", "whole_word": "1"}
    response = signed_in(client, alice).post(url(task, "/replace"), data, **HTMX)
    assert response.status_code == 200
    task.refresh_from_db()
    texts = [s["text"] for s in services.current(task).segments]
    assert texts[1:] == ["ask not what your country can do for thee.", "Thank thee."]
    assert (
        TranscriptRevision.objects.get(task=task).summary == "Replaced 'you' with 'thee' (2 times)"
    )


def test_it_previews_on_a_page_of_its_own_without_javascript(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).get(url(task, "/replace"), {"find": "country"})
    body = response.content.decode()
    assert "<!DOCTYPE html>" in body and "<mark>country</mark>" in body


def test_it_is_404_for_a_stranger(
    client: Client, charlie: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    signed = signed_in(client, charlie)
    assert signed.get(url(task, "/replace"), {"find": "you"}).status_code == 404
    data = {"version": "0", "find": "you", "replace": "thee"}
    assert signed.post(url(task, "/replace"), data).status_code == 404
    assert not TranscriptRevision.objects.filter(task=task).exists()
