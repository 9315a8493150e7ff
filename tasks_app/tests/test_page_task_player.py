"""The player on the task page (templates/tasks_app/transcripts/_player.html): the recording or
the video of a finished transcription, while its file is kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Status, Task


def page(client: Client, user: User, task: Task, language: str = "en") -> str:
    client.cookies["access_token"] = issue_tokens(user)[0]
    client.cookies["django_language"] = language
    return client.get(f"/dashboard/tasks/{task.pk}").content.decode()


def test_it_plays_the_recording_beside_the_transcript(
    client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    body = page(client, alice, task)
    assert (
        f'<audio id="player" controls preload="metadata" src="/api/v1/tasks/{task.pk}/file"' in body
    )
    assert body.index('id="player"') < body.index('id="transcript-segments"')
    for rate in ("0.5", "0.75", "1", "1.25", "1.5", "2"):
        assert f'<option value="{rate}"' in body
    assert 'aria-describedby="player-keys"' in body and "<kbd>Space</kbd>" in body


def test_it_shows_a_video_in_a_video_element(
    client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    Task.objects.filter(pk=task.pk).update(kind=Kind.VIDEO, content_type="video/mp4")
    body = page(client, alice, task)
    assert '<video id="player"' in body and "<audio" not in body


def test_it_offers_no_player_once_the_audio_is_gone(
    client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    purged = make_task(
        alice, file=True, result=result, status=Status.COMPLETED, audio_purged_at=timezone.now()
    )
    assert 'id="player"' not in page(client, alice, purged)
    lost = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    (settings.STORAGE_ROOT / lost.file_path).unlink()  # lost from the disk
    body = page(client, alice, lost)
    assert 'id="player"' not in body and 'id="transcript-segments"' in body


def test_it_speaks_persian_with_persian_digits(
    client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    body = page(client, alice, task, "fa")
    with translation.override("fa"):
        assert translation.gettext("Speed") != "Speed"
        assert translation.gettext("play or pause") in body
    assert '<option value="1.5">۱.۵×</option>' in body
