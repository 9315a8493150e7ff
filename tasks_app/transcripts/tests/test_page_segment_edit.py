"""GET/POST /dashboard/tasks/<id>/transcript/segments/<n>/edit: a segment's form in place, and
saving its text and times as a revision; a stale version is refused, nothing typed is lost."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Status, Task
from tasks_app.transcripts import services
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def edit_url(task: Task, segment_id: int) -> str:
    return url(task, f"/segments/{segment_id}/edit")


def test_it_opens_the_form_in_place_of_the_segment(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).get(edit_url(task, 1), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<li class="seg is-editing" id="seg-1"')
    assert ">ask not what your country can do for you.</textarea>" in body
    assert 'name="version" value="0"' in body
    assert 'name="start" step="0.01" min="0" dir="ltr" value="4.5"' in body
    for action in ("split", "merge", "delete"):
        assert f'formaction="{url(task, f"/segments/1/{action}")}"' in body
    assert "data-confirm=" in body  # Delete asks in the page first
    assert "split_at" not in body  # the cursor says where to split


def test_it_is_a_page_of_its_own_without_javascript(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).get(edit_url(task, 1))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<!DOCTYPE html>" in body and 'class="seg-form"' in body


def test_it_saves_the_text_as_a_revision_and_shows_the_workspace(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {
        "version": "0",
        "text": "ask not what your country can do for us.",
        "start": "4.5",
        "end": "9",
    }
    response = signed_in(client, alice).post(edit_url(task, 1), data, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="workspace-body"' in body
    assert "ask not what your country can do for us." in body
    assert 'name="version" value="1"' in body
    revision = TranscriptRevision.objects.get(task=task)
    assert (revision.number, revision.author, revision.summary) == (1, alice, "Edited segment 1")
    task.refresh_from_db()
    assert task.transcript_version == 1


def test_it_moves_the_times(client: Client, alice: User, transcribed: Callable[..., Task]) -> None:
    task = transcribed()
    data = {"version": "0", "text": "Thank you.", "start": "9.25", "end": "10.5"}
    signed_in(client, alice).post(edit_url(task, 2), data, **HTMX)
    task.refresh_from_db()
    segment = services.current(task).segments[2]
    assert (segment["start"], segment["end"]) == (9.25, 10.5)


def test_it_makes_no_revision_when_nothing_changed(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "text": "Thank you.\r\n", "start": "9.5", "end": "11.0"}
    response = signed_in(client, alice).post(edit_url(task, 2), data, **HTMX)
    assert response.status_code == 200
    assert not TranscriptRevision.objects.filter(task=task).exists()


def test_it_refuses_a_stale_version_with_the_current_text_and_keeps_what_was_typed(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    # Someone else saved first, from the same version 0.
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks a lot."}])
    data = {"version": "0", "text": "Thank you all.", "start": "9.5", "end": "11.0"}
    response = signed_in(client, alice).post(edit_url(task, 2), data, **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this transcript" in body
    assert '<blockquote class="seg-current" dir="auto" lang="">Thanks a lot.</blockquote>' in body
    assert ">Thank you all.</textarea>" in body
    # Saving again is against the version now shown: a deliberate re-apply.
    assert 'name="version" value="1"' in body
    assert TranscriptRevision.objects.filter(task=task).count() == 1
    assert services.current(task).segments[2]["text"] == "Thanks a lot."


def test_it_refuses_a_post_without_a_version_as_stale(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    response = signed_in(client, alice).post(edit_url(task, 2), {"text": "Hi."}, **HTMX)
    assert response.status_code == 409
    assert not TranscriptRevision.objects.filter(task=task).exists()


def test_it_explains_times_that_overlap(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "text": "Thank you.", "start": "8", "end": "11.0"}
    response = signed_in(client, alice).post(edit_url(task, 2), data, **HTMX)
    assert response.status_code == 400
    body = response.content.decode()
    assert "a segment cannot overlap its neighbours" in body
    assert 'value="8"' in body  # what was typed stays in the form


def test_it_goes_back_to_the_task_page_without_javascript(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "text": "Thanks.", "start": "9.5", "end": "11"}
    response = signed_in(client, alice).post(edit_url(task, 2), data)
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/tasks/{task.pk}#seg-2"


def test_it_shows_the_stale_form_as_a_page_without_javascript(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks a lot."}])
    data = {"version": "0", "text": "Thank you all.", "start": "9.5", "end": "11"}
    response = signed_in(client, alice).post(edit_url(task, 2), data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Thanks a lot." in body and "Thank you all." in body


def test_it_refuses_a_running_transcription(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed(status=Status.PROCESSING)
    data = {"version": "0", "text": "Thanks.", "start": "9.5", "end": "11"}
    response = signed_in(client, alice).post(edit_url(task, 2), data, **HTMX)
    assert response.status_code == 409
    assert "cannot be edited until the task has completed" in response.content.decode()


def test_it_shows_the_current_workspace_when_the_segment_is_gone(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "delete", "id": 2}])
    response = signed_in(client, alice).get(edit_url(task, 2), **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#workspace-body"
    assert response["HX-Reselect"] == "#workspace-body"
    body = response.content.decode()
    assert "This segment no longer exists." in body
    assert 'id="seg-2"' not in body


def test_it_keeps_what_was_typed_when_someone_else_deleted_the_segment(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "delete", "id": 2}])
    data = {"version": "0", "text": "Thank you all.", "start": "9.5", "end": "11"}
    response = signed_in(client, alice).post(edit_url(task, 2), data, **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this transcript" in body
    assert '<blockquote dir="auto">Thank you all.</blockquote>' in body


def test_it_is_404_for_a_stranger(
    client: Client, charlie: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    data = {"version": "0", "text": "Mine now.", "start": "9.5", "end": "11"}
    signed = signed_in(client, charlie)
    assert signed.get(edit_url(task, 2), **HTMX).status_code == 404
    assert signed.post(edit_url(task, 2), data, **HTMX).status_code == 404
    assert not TranscriptRevision.objects.filter(task=task).exists()
