"""The task page of a completed transcription: the workspace (segments, tools, history,
downloads) instead of the read-only transcript."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Status, Task
from tasks_app.transcripts import services
from tasks_app.transcripts.tests.conftest import TRANSCRIPT
from tasks_app.transcripts.tests.pages import signed_in


def page(client: Client, task: Task) -> str:
    response = client.get(f"/dashboard/tasks/{task.pk}")
    assert response.status_code == 200
    return response.content.decode()


def test_it_lists_the_segments_for_the_player_and_the_editor(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed(detected_language="en")
    body = page(signed_in(client, alice), task)
    assert f'<div id="workspace" class="workspace" data-task-id="{task.pk}"' in body
    assert '<ol id="transcript-segments"' in body
    first = re.search(r'<li class="seg" id="seg-0"[^>]*>', body)
    assert first is not None
    for attribute in ('data-seg-id="0"', 'data-start="0.0"', 'data-end="4.0"', 'dir="auto"'):
        assert attribute in first.group(0)
    assert 'lang="en"' in first.group(0)
    assert '<button type="button" class="seg-time" data-seek="4.5"' in body
    # Word timings of an unedited segment: each word seeks on its own.
    assert '<span class="w" data-start="2.0"> fellow</span>' in body
    assert '<span class="seg-speaker" dir="auto">Speaker 1</span>' in body
    assert f'href="/dashboard/tasks/{task.pk}/transcript/segments/1/edit"' in body


def test_it_shows_a_segment_in_another_language_with_a_badge(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    result = {**TRANSCRIPT, "segments": [dict(s) for s in TRANSCRIPT["segments"]]}
    result["segments"][2] = {**result["segments"][2], "text": "خیلی ممنون", "language": "fa"}
    task = transcribed(result=result, detected_language="en")
    body = page(signed_in(client, alice), task)
    segment = re.search(r'<li class="seg" id="seg-2".*?</li>', body, re.S)
    assert segment is not None
    assert 'lang="fa"' in segment.group(0)
    assert 'dir="auto"' in segment.group(0)
    assert 'class="seg-lang"' in segment.group(0) and "Persian" in segment.group(0)
    # The English segments carry no badge.
    first = re.search(r'<li class="seg" id="seg-1".*?</li>', body, re.S)
    assert first is not None and "seg-lang" not in first.group(0)


def test_it_offers_the_edited_and_the_machine_transcript_for_download(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    body = page(signed_in(client, alice), task)
    for format in ("txt", "srt", "vtt", "tsv", "json", "docx"):
        assert f'href="/api/v1/tasks/{task.pk}/result?format={format}"' in body
        assert f'href="/api/v1/tasks/{task.pk}/result?format={format}&amp;version=original"' in body


def test_it_shows_the_history_with_restore_buttons(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks."}])
    body = page(signed_in(client, alice), task)
    assert "Revision 1" in body and "Edited segment 2" in body and "Alice Owner" in body
    assert "Machine transcript" in body
    assert f'action="/dashboard/tasks/{task.pk}/transcript/revisions/0/restore"' in body
    # The current revision cannot be restored onto itself.
    assert "/transcript/revisions/1/restore" not in body
    assert 'name="version" value="1"' in body


def test_it_is_in_persian_with_persian_segments_right_to_left(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    client.cookies["django_language"] = "fa"
    body = page(signed_in(client, alice), task)
    assert "ویرایش" in body  # Edit
    assert "تاریخچه" in body  # History
    assert "جست‌وجو و جایگزینی" in body  # Find and replace
    assert re.search(r'<li class="seg" id="seg-0"[^>]*dir="auto"', body)


def test_it_keeps_the_read_only_live_preview_while_transcribing(
    client: Client, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed(status=Status.PROCESSING, file=True)
    body = page(signed_in(client, alice), task)
    assert 'id="workspace"' not in body
    assert 'class="transcript"' in body
