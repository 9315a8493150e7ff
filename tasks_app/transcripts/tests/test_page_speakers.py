"""The task page's "Label speakers automatically" form: POST …/transcript/speakers and the
poll GET …/transcript/speakers/status. The job: transcription/tests/test_label_speakers.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client
from django.utils import timezone

from accounts.models import User
from tasks_app.models import AnalysisStatus, Task
from tasks_app.transcripts.tests.pages import HTMX, signed_in, url


def test_it_queues_labelling_and_polls_until_it_is_done(
    client: Client, alice: User, transcribed: Callable[..., Task], queues: Any
) -> None:
    task = transcribed(file=True)
    response = signed_in(client, alice).post(url(task, "/speakers"), {"speakers": "3"}, **HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Speaker labelling is queued." in page
    assert f'hx-get="{url(task, "/speakers/status")}"' in page
    task.refresh_from_db()
    assert (task.speakers, task.speakers_status) == (3, AnalysisStatus.QUEUED)
    [job] = queues["media"].get_jobs()
    assert job.kwargs == {"task_id": str(task.pk), "speakers": 3}

    # Still on its way: the form keeps polling.
    poll = signed_in(client, alice).get(url(task, "/speakers/status"), **HTMX)
    assert 'hx-trigger="every 2s"' in poll.content.decode()
    # Done: the whole workspace comes back, so the labels show in the transcript.
    Task.objects.filter(pk=task.pk).update(speakers_status=AnalysisStatus.COMPLETED)
    done = signed_in(client, alice).get(url(task, "/speakers/status"), **HTMX)
    assert done["HX-Retarget"] == "#workspace-body"
    assert 'id="transcript-segments"' in done.content.decode()
    assert "Speakers were labelled automatically." in done.content.decode()


def test_it_goes_back_to_the_task_page_without_javascript(
    client: Client, alice: User, transcribed: Callable[..., Task], queues: Any
) -> None:
    task = transcribed(file=True)
    response = signed_in(client, alice).post(url(task, "/speakers"), {"speakers": "2"})
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/tasks/{task.pk}#speakers"
    assert queues["media"].count == 1


def test_it_asks_for_a_number_from_1_to_10(
    client: Client, alice: User, transcribed: Callable[..., Task], queues: Any
) -> None:
    task = transcribed(file=True)
    response = signed_in(client, alice).post(url(task, "/speakers"), {"speakers": "0"}, **HTMX)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Type a whole number of speakers from 1 to 10." in page
    assert 'aria-invalid="true"' in page and 'value="0"' in page
    assert queues["media"].count == 0


def test_it_says_when_the_audio_is_gone(
    client: Client, alice: User, transcribed: Callable[..., Task], queues: Any
) -> None:
    task = transcribed(file=True, audio_purged_at=timezone.now())
    response = signed_in(client, alice).post(url(task, "/speakers"), {"speakers": "2"}, **HTMX)
    assert response.status_code == 409
    assert "The audio of this task was deleted" in response.content.decode()
    assert queues["media"].count == 0


def test_it_shows_why_labelling_failed_in_persian_too(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed(
        file=True,
        speakers_status=AnalysisStatus.FAILED,
        speakers_error="No speech was found in the recording to tell speakers apart.",
    )
    client.cookies["django_language"] = "fa"
    page = signed_in(client, alice).get(url(task, "/speakers/status"), **HTMX).content.decode()
    assert "برچسب‌گذاری گویندگان ناموفق بود:" in page
    assert "در این ضبط گفتاری پیدا نشد" in page
    assert "برچسب گویندگان تقریبی است" in page


def test_it_is_404_for_a_stranger(
    client: Client, charlie: User, transcribed: Callable[..., Task], queues: Any
) -> None:
    task = transcribed(file=True)
    response = signed_in(client, charlie).post(url(task, "/speakers"), {"speakers": "2"}, **HTMX)
    assert response.status_code == 404
    assert signed_in(client, charlie).get(url(task, "/speakers/status"), **HTMX).status_code == 404
    task.refresh_from_db()
    assert task.speakers_status == AnalysisStatus.NONE
