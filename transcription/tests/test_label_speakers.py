"""Automatic speaker labels through a real worker: asked for at upload (the transcription job
labels its result) and later (POST …/speakers: the label_speakers job records a revision by the
system). Two espeak-ng voices, a male and a female one, take turns: synthetic, not people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app import blobs
from tasks_app.models import AnalysisStatus, Status, Task
from tasks_app.transcripts import services as transcripts
from transcription.services import enqueue_task
from transcription.tests.voices import Truth, conversation, diarization_error

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    path = tmp_path_factory.mktemp("voices") / "two-voices.wav"
    return path, conversation(path, ("en-us", "en+f3"), seconds=24)


@pytest.fixture
def transcribed(file_task: Any, two_voices: tuple[Path, Truth]) -> Any:
    """The two voices as a completed task whose transcript has one segment per turn, as if a
    worker had transcribed it (no model needed to label it later)."""

    def make() -> Task:
        path, truth = two_voices
        task = file_task(path)
        segments = [
            {"id": n, "start": start, "end": end, "text": f"Sentence {n}.", "speaker": None}
            for n, (start, end, _voice) in enumerate(truth)
        ]
        result = {"task_id": str(task.pk), "partial": False, "duration": truth[-1][1]}
        result.update(text=" ".join(s["text"] for s in segments), segments=segments)
        if not blobs.is_local():
            blobs.put_file(task.file_path, path)
        task.result_path = f"results/{task.pk}_transcription.json"
        blobs.write_json(task.result_path, result)
        task.status = Status.COMPLETED
        task.save(update_fields=["result_path", "status"])
        return task

    return make


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)[0]}")
    return client


def upload(user: User, path: Path, **options: Any) -> Task:
    file = SimpleUploadedFile(path.name, path.read_bytes(), content_type="audio/wav")
    response = client_for(user).post(
        "/api/v1/tasks", {"title": "Two voices", "file": file, **options}, format="multipart"
    )
    assert response.status_code == 202, response.json()
    return Task.objects.get(pk=response.json()["id"])


def result_of(task: Task) -> dict[str, Any]:
    task.refresh_from_db()
    return blobs.read_json(task.result_path)


def without_speakers(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in segment.items() if k != "speaker"} for segment in segments]


def test_it_labels_speakers_asked_for_at_upload_and_changes_no_word(
    owner: User, two_voices: tuple[Path, Truth], drain: Any
) -> None:
    path, truth = two_voices
    plain = upload(owner, path, word_timestamps="true")
    labelled = upload(owner, path, word_timestamps="true", speakers=2)
    assert labelled.speakers == 2

    assert drain()

    plain_result, result = result_of(plain), result_of(labelled)
    assert labelled.status == Status.COMPLETED
    assert labelled.speakers_status == AnalysisStatus.COMPLETED
    assert result["speaker_labels"] == {"speakers": 2, "error": None}
    # Only speakers are added: every segment, word and time is the unlabelled run's.
    assert without_speakers(result["segments"]) == without_speakers(plain_result["segments"])
    assert result["text"] == plain_result["text"]
    assert not any(segment.get("speaker") for segment in plain_result["segments"])
    assert result["segments"][0]["speaker"] == "Speaker 1"
    assert diarization_error(truth, result["segments"], collar=0.25) <= 0.05


def test_it_labels_a_finished_transcript_as_a_revision_by_the_system(
    backend: str, owner: User, two_voices: tuple[Path, Truth], transcribed: Any, drain: Any
) -> None:
    truth = two_voices[1]
    task = transcribed()
    original = result_of(task)
    client = client_for(owner)

    response = client.post(f"/api/v1/tasks/{task.pk}/speakers", {"speakers": 2}, format="json")
    assert response.status_code == 202
    assert drain()

    task.refresh_from_db()
    assert (task.speakers_status, task.speakers_error) == (AnalysisStatus.COMPLETED, "")
    [revision] = task.revisions.all()
    assert (revision.number, revision.author) == (1, None)
    transcript = transcripts.current(task)
    assert transcript.version == 1 and transcript.speakers == ["Speaker 1", "Speaker 2"]
    assert [s["text"] for s in transcript.segments] == [s["text"] for s in original["segments"]]
    assert diarization_error(truth, transcript.segments, collar=0.25) <= 0.05
    # The machine's transcript stays what it was: revision 0, restorable.
    assert result_of(task) == original
    body = client.get(f"/api/v1/tasks/{task.pk}").json()
    assert body["speakers_status"] == "completed" and body["urls"]["speakers"]


def test_it_labels_the_segments_someone_saved_meanwhile(
    owner: User,
    two_voices: tuple[Path, Truth],
    transcribed: Any,
    drain: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    truth = two_voices[1]
    task = transcribed()
    client_for(owner).post(f"/api/v1/tasks/{task.pk}/speakers", {"speakers": 2}, format="json")
    apply = transcripts.apply

    def owner_saves_first(task: Task, user: Any, version: int, operations: Any) -> Any:
        # The owner deletes the first segment while the labels are being computed.
        if user is None and task.transcript_version == 0:
            apply(task, owner, 0, [{"op": "delete", "id": 0}])
        return apply(task, user, version, operations)

    monkeypatch.setattr(transcripts, "apply", owner_saves_first)
    assert drain()

    task.refresh_from_db()
    assert task.speakers_status == AnalysisStatus.COMPLETED
    assert [r.author for r in task.revisions.order_by("number")] == [owner, None]
    transcript = transcripts.current(task)
    assert transcript.version == 2
    assert 0 not in [segment["id"] for segment in transcript.segments]
    assert all(segment["speaker"] for segment in transcript.segments)
    assert diarization_error(truth[1:], transcript.segments, collar=0.25) <= 0.05


def test_it_fails_with_a_reason_when_the_audio_went_missing(
    owner: User, transcribed: Any, drain: Any
) -> None:
    task = transcribed()
    client_for(owner).post(f"/api/v1/tasks/{task.pk}/speakers", {"speakers": 2}, format="json")
    (settings.STORAGE_ROOT / task.file_path).unlink()

    assert drain()

    task.refresh_from_db()
    assert task.speakers_status == AnalysisStatus.FAILED
    assert "audio of this task was deleted" in task.speakers_error
    assert task.transcript_version == 0


def test_it_fails_with_a_reason_when_the_store_is_away(
    s3: str, owner: User, transcribed: Any, drain: Any, store_down: Any
) -> None:
    task = transcribed()
    client_for(owner).post(f"/api/v1/tasks/{task.pk}/speakers", {"speakers": 2}, format="json")
    store_down()

    assert drain()

    task.refresh_from_db()
    assert task.speakers_status == AnalysisStatus.FAILED
    assert "storage could not be reached" in task.speakers_error


def test_it_says_why_labelling_at_upload_found_nobody_and_keeps_the_transcript(
    file_task: Any, drain: Any, tmp_path: Path
) -> None:
    import wave

    silence = tmp_path / "silence.wav"
    with wave.open(str(silence), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 16000 * 3)
    task = file_task(silence, speakers=2)
    enqueue_task(task.pk)

    assert drain()

    task.refresh_from_db()
    assert task.status == Status.COMPLETED
    assert task.speakers_status == AnalysisStatus.FAILED
    assert task.speakers_error == "No speech was found in the recording to tell speakers apart."
