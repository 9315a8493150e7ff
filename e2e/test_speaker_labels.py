"""Automatic speaker labels in a real browser, English and Persian: on a finished transcript of
two espeak-ng voices taking turns, type the count, press "Label speakers automatically", watch
the status while a real worker labels, and see the speakers appear in the transcript without a
reload, with the note that they are approximate. On a phone too: the form fits the width."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from tasks_app.models import AnalysisStatus, Kind, Status, Task
from transcription.tests.voices import conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "button": "Label speakers automatically",
        "done": "Speakers were labelled automatically.",
        "note": "Speaker labels are approximate",
    },
    "fa": {
        "button": "برچسب‌گذاری خودکار گویندگان",
        "done": "گویندگان به‌طور خودکار برچسب خوردند.",
        "note": "برچسب گویندگان تقریبی است",
    },
}


def two_voices_task(user: User) -> Task:
    """A completed transcription of two voices, one unlabelled segment per turn."""
    storage = Path(settings.STORAGE_ROOT)
    (storage / "uploads").mkdir(exist_ok=True)
    (storage / "results").mkdir(exist_ok=True)
    task = Task(
        user=user,
        title="Two voices",
        kind=Kind.TRANSCRIPTION,
        status=Status.COMPLETED,
        completed_at=timezone.now(),
        original_filename="two-voices.wav",
        content_type="audio/wav",
        detected_language="en",
    )
    task.file_path = f"uploads/{task.id}.wav"
    truth = conversation(storage / task.file_path, ("en-us", "en+f3"), seconds=14)
    segments = [
        {"id": n, "start": start, "end": end, "text": f"Sentence {n + 1}.", "speaker": None}
        for n, (start, end, _voice) in enumerate(truth)
    ]
    result = {"task_id": str(task.pk), "partial": False, "language": "en", "segments": segments}
    result.update(text=" ".join(s["text"] for s in segments), duration=truth[-1][1])
    task.result_path = f"results/{task.id}_transcription.json"
    (storage / task.result_path).write_text(json.dumps(result), encoding="utf-8")
    task.file_size = (storage / task.file_path).stat().st_size
    task.duration_seconds = truth[-1][1]
    task.transcript_text = result["text"]
    task.save()
    return task


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("fa", "phone")])
def test_it_labels_speakers_from_the_task_page(
    language: str,
    size: str,
    alice: User,
    visit: Callable[..., Page],
    worker: object,
) -> None:
    task = two_voices_task(alice)
    page = visit(f"/dashboard/tasks/{task.pk}", alice, language, size)
    words = WORDS[language]
    form = page.locator("#speakers")
    expect(form).to_contain_text(words["note"])
    expect(page.locator("#speakers-count")).to_have_value("2")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    form.get_by_role("button", name=words["button"]).click()

    expect(page.locator("#speakers-status")).to_have_text(words["done"], timeout=60_000)
    speakers = page.locator("#transcript-segments .seg-speaker")
    expect(speakers.first).to_have_text("Speaker 1")
    expect(speakers.nth(1)).to_have_text("Speaker 2")
    task.refresh_from_db()
    assert task.speakers_status == AnalysisStatus.COMPLETED
    assert task.transcript_version == 1
