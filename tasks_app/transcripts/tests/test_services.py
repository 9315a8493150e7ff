"""The edited transcript's services: revisions, optimistic locking, restore, what downloads read."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.http import Http404

from accounts.models import User
from tasks_app.models import Kind, Status, Task
from tasks_app.transcripts import services
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.services import (
    InvalidOperation,
    NotEditable,
    NotReady,
    StaleVersion,
)

EDIT = [{"op": "edit", "id": 2, "text": "Thank you all."}]


def test_it_reads_the_machines_transcript_until_edited(transcribed: Callable[..., Task]) -> None:
    transcript = services.current(transcribed())
    assert transcript.version == 0
    assert not transcript.edited and transcript.editable
    assert [s["id"] for s in transcript.segments] == [0, 1, 2]
    assert transcript.speakers == ["Speaker 1", "Speaker 2"]


def test_it_saves_each_change_as_a_revision(transcribed: Callable[..., Task], alice: User) -> None:
    task = transcribed()
    transcript = services.apply(task, alice, 0, EDIT)
    assert transcript.version == task.transcript_version == 1
    assert transcript.edited
    assert transcript.segments[2]["text"] == "Thank you all."
    revision = TranscriptRevision.objects.get(task=task)
    assert (revision.number, revision.author, revision.summary) == (1, alice, "Edited segment 2")
    assert revision.operations == EDIT
    task.refresh_from_db()
    assert task.transcript_version == 1
    assert task.transcript_text.endswith("Thank you all.")
    assert services.current(task).segments == transcript.segments


def test_it_never_changes_the_result_file(transcribed: Callable[..., Task], alice: User) -> None:
    task = transcribed()
    before = services.result_for(task, "original")
    services.apply(task, alice, 0, EDIT)
    assert services.result_for(task, "original") == before
    assert services.result_for(task, 0)["segments"][2]["text"] == " Thank you."


def test_it_refuses_a_stale_version_with_the_current_transcript(
    transcribed: Callable[..., Task], alice: User, bob: User
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, EDIT)
    with pytest.raises(StaleVersion) as error:
        services.apply(Task.objects.get(pk=task.pk), bob, 0, [{"op": "delete", "id": 0}])
    assert error.value.current.version == 1
    assert error.value.current.segments[2]["text"] == "Thank you all."
    assert "version 1" in error.value.message
    assert TranscriptRevision.objects.filter(task=task).count() == 1


@pytest.mark.parametrize("status", [Status.PROCESSING, Status.IN_PROGRESS, Status.FAILED])
def test_it_refuses_edits_before_the_task_completes(
    transcribed: Callable[..., Task], alice: User, status: Status
) -> None:
    task = transcribed(status=status)
    assert not services.current(task).editable
    with pytest.raises(NotEditable):
        services.apply(task, alice, 0, EDIT)
    with pytest.raises(NotEditable):
        services.restore(task, alice, 0)


def test_it_has_no_transcript_without_a_result_or_for_other_kinds(
    make_task: Callable[..., Task], transcribed: Callable[..., Task], alice: User
) -> None:
    waiting = make_task(alice, file=True, status=Status.PROCESSING)
    with pytest.raises(NotReady):
        services.current(waiting)
    with pytest.raises(NotReady):
        services.result_for(waiting)
    text = transcribed(kind=Kind.TEXT, result={"kind": "text", "text": "Hello"})
    with pytest.raises(NotReady):
        services.apply(text, alice, 0, EDIT)
    assert services.result_for(text)["text"] == "Hello"


def test_it_applies_nothing_from_a_bad_operation(
    transcribed: Callable[..., Task], alice: User
) -> None:
    task = transcribed()
    with pytest.raises(InvalidOperation) as error:
        services.apply(task, alice, 0, [*EDIT, {"op": "merge", "id": 2}])
    assert error.value.field == "operations[1].id"
    task.refresh_from_db()
    assert task.transcript_version == 0
    assert not TranscriptRevision.objects.exists()


def test_it_records_the_system_as_author_none(transcribed: Callable[..., Task]) -> None:
    task = transcribed()
    services.apply(task, None, 0, [{"op": "speaker", "ids": [0], "speaker": "Speaker 1"}])
    [latest, original] = services.revisions(task)
    assert latest.author is None and latest.author_name == ""
    assert latest.summary == "Set the speaker of segment to Speaker 1"
    assert original.number == 0


def test_it_restores_any_revision_as_a_new_one(
    transcribed: Callable[..., Task], alice: User, bob: User
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, EDIT)
    services.apply(task, alice, 1, [{"op": "delete", "id": 0}])
    restored = services.restore(task, bob, 1)
    assert restored.version == 3
    assert [s["id"] for s in restored.segments] == [0, 1, 2]
    assert restored.segments[2]["text"] == "Thank you all."
    original = services.restore(task, bob, 0)
    assert original.segments == services.current(transcribed()).segments
    history = services.revisions(task)
    assert [r.number for r in history] == [4, 3, 2, 1, 0]
    assert history[0].summary == "Restored revision 0"
    assert history[0].author_name == bob.get_username()
    with pytest.raises(Http404):
        services.restore(task, alice, 5)
    with pytest.raises(StaleVersion):
        services.restore(task, alice, 1, version=3)


def test_it_builds_the_result_each_download_renders(
    transcribed: Callable[..., Task], alice: User
) -> None:
    task = transcribed()
    assert services.result_for(task) == services.result_for(task, "original")
    assert "transcript_version" not in services.result_for(task)
    services.apply(task, alice, 0, EDIT)
    services.apply(task, alice, 1, [{"op": "delete", "id": 0}])
    edited = services.result_for(task)
    assert edited["transcript_version"] == 2
    assert edited["text"] == "ask not what your country can do for you. Thank you all."
    assert edited["language"] == "en" and edited["run"] == {"model": "tiny.en"}
    assert len(services.result_for(task, "1")["segments"]) == 3
    assert services.result_for(task, "original")["text"].startswith("And so")
    for bad in ("3", "-1", "latest", "１"):
        with pytest.raises(InvalidOperation) as error:
            services.result_for(task, bad)
        assert error.value.field == "version"


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_simultaneous_saves_through(
    transcribed: Callable[..., Task], alice: User, bob: User
) -> None:
    task = transcribed()
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(user: User, text: str) -> None:
        try:
            start.wait(timeout=10)
            services.apply(
                Task.objects.get(pk=task.pk), user, 0, [{"op": "edit", "id": 2, "text": text}]
            )
            outcomes[text] = "saved"
        except StaleVersion:
            outcomes[text] = "stale"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(alice, "Alice's words.")),
        threading.Thread(target=save, args=(bob, "Bob's words.")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["saved", "stale"]
    [winner] = [text for text, outcome in outcomes.items() if outcome == "saved"]
    assert services.current(Task.objects.get(pk=task.pk)).segments[2]["text"] == winner
    assert TranscriptRevision.objects.filter(task=task).count() == 1
