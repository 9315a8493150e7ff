"""analyze_text: pasted text and documents through the API, the default queue and a worker, and
the one-click analysis of a finished transcript."""

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
from tasks_app.models import AnalysisStatus, Attempt, Kind, Status, Task
from transcription.tests.samples import ENGLISH, PERSIAN, make_docx, make_pdf

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)[0]}")
    return client


def create(user: User, **data: Any) -> Any:
    data.setdefault("title", "Notes")
    return client_for(user).post("/api/v1/tasks", data, format="multipart")


def result_of(task_id: Any) -> dict[str, Any]:
    task = Task.objects.get(pk=task_id)
    return blobs.read_json(task.result_path)


def test_it_analyses_pasted_english_text(owner: User, queues: Any, drain: Any) -> None:
    response = create(owner, text=ENGLISH)
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["kind"] == Kind.TEXT
    assert body["file"]["name"] == "pasted.txt"
    assert queues["default"].job_ids == [f"task-{body['id']}-text-1"]
    assert queues["media"].count == 0

    assert drain()

    task = Task.objects.get(pk=body["id"])
    assert (task.status, task.attempts, task.progress) == (Status.COMPLETED, 1, 100)
    assert task.transcript_text == ENGLISH
    assert task.detected_language == "en"
    result = result_of(task.pk)
    assert result["kind"] == "text" and result["document"]["format"] == "text"
    analysis = result["analysis"]
    assert analysis["language"] == "en" and analysis["language_probability"] > 0.9
    keywords = [item["keyword"].lower() for item in analysis["keywords"]]
    assert "fellow americans" in keywords
    assert analysis["sentiment"]["supported"] is True
    assert analysis["sentiment"]["label"] == "positive"
    summary = analysis["summary"]["sentences"]
    assert 1 <= len(summary) <= 3 and all(sentence in ENGLISH for sentence in summary)
    assert analysis["stats"]["sentences"] == 4
    assert Attempt.objects.get(task=task).outcome == "completed"
    txt = client_for(owner).get(f"/api/v1/tasks/{task.pk}/result?format=txt")
    assert b"".join(txt.streaming_content).decode().strip() == ENGLISH


def test_it_analyses_an_uploaded_persian_text_and_says_sentiment_is_not_supported(
    owner: User, queues: Any, drain: Any
) -> None:
    file = SimpleUploadedFile("yaddasht.txt", PERSIAN.encode(), content_type="text/plain")
    body = create(owner, file=file).json()

    drain()

    task = Task.objects.get(pk=body["id"])
    assert task.status == Status.COMPLETED
    analysis = result_of(task.pk)["analysis"]
    assert analysis["language"] == "fa" and task.detected_language == "fa"
    assert analysis["sentiment"]["supported"] is False
    assert "English" in analysis["sentiment"]["reason"]
    assert any("تهران" in item["keyword"] for item in analysis["keywords"])
    assert all(sentence in PERSIAN for sentence in analysis["summary"]["sentences"])


def test_it_extracts_and_analyses_a_word_document(
    owner: User, tmp_path: Path, queues: Any, drain: Any
) -> None:
    path = make_docx(tmp_path / "notes.docx", ENGLISH.split(". "))
    with path.open("rb") as file:
        body = create(owner, file=file).json()

    drain()

    result = result_of(body["id"])
    assert result["document"]["format"] == "docx"
    assert result["text"].startswith("Meeting notes\nAnd so, my fellow Americans")
    assert "Owner\tKennedy" in result["text"]
    assert result["analysis"]["language"] == "en"


def test_it_extracts_and_analyses_a_pdf(
    owner: User, tmp_path: Path, queues: Any, drain: Any
) -> None:
    path = make_pdf(tmp_path / "speech.pdf", ENGLISH.split(". "))
    with path.open("rb") as file:
        body = create(owner, file=file).json()

    drain()

    result = result_of(body["id"])
    assert (result["document"]["format"], result["document"]["pages"]) == ("pdf", 1)
    assert "ask not what your country can do for you" in result["text"]
    assert result["analysis"]["language"] == "en"


def test_it_refuses_a_pdf_without_text_at_upload(owner: User, tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", [])
    with path.open("rb") as file:
        response = create(owner, file=file)
    assert response.status_code == 422
    assert response.json()["code"] == "no_text"
    assert not Task.objects.exists()


def test_it_fails_a_text_task_whose_document_has_no_text(
    owner: User, tmp_path: Path, queues: Any, drain: Any
) -> None:
    body = create(owner, text=ENGLISH).json()
    task = Task.objects.get(pk=body["id"])
    # The file changed on disk after the upload was checked: the job checks again.
    make_pdf(settings.STORAGE_ROOT / task.file_path, [])

    drain()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (Status.FAILED, "NO_TEXT")
    assert "no text" in task.error_message


def test_it_refuses_a_file_and_a_text_together(owner: User) -> None:
    file = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = create(owner, file=file, text="also this")
    assert response.status_code == 400
    assert "text" in response.json()


def finished_transcript(owner: User, text: str) -> Task:
    task = Task.objects.create(
        user=owner,
        title="Speech",
        kind=Kind.TRANSCRIPTION,
        status=Status.COMPLETED,
        file_path="uploads/speech.flac",
        transcript_text=text,
        result_path="results/speech_transcription.json",
    )
    result = {"task_id": str(task.pk), "partial": False, "text": text, "segments": []}
    blobs.write_json(task.result_path, result)
    return task


def test_it_adds_an_analysis_to_a_finished_transcript_in_one_click(
    backend: str, owner: User, queues: Any, drain: Any
) -> None:
    task = finished_transcript(owner, ENGLISH)
    before = task.result_path
    client = client_for(owner)
    assert client.get(f"/api/v1/tasks/{task.pk}").json()["urls"]["analyze"]

    response = client.post(f"/api/v1/tasks/{task.pk}/analyze")
    assert response.status_code == 202
    assert response.json()["analysis_status"] == AnalysisStatus.QUEUED
    assert client.post(f"/api/v1/tasks/{task.pk}/analyze").json()["code"] == "not_analyzable"
    assert len(queues["default"].job_ids) == 1

    assert drain()

    task.refresh_from_db()
    assert task.status == Status.COMPLETED
    assert task.analysis_status == AnalysisStatus.COMPLETED
    result = result_of(task.pk)
    assert result["text"] == ENGLISH and result["partial"] is False
    assert result["analysis"]["language"] == "en"
    assert result["analysis"]["sentiment"]["label"] == "positive"
    # Stored under a new name (a name never changes content); the one it replaced is gone.
    assert task.result_path.startswith(f"results/{task.pk}/") and not blobs.exists(before)
    assert not Attempt.objects.filter(task=task).exists()
    again = client.post(f"/api/v1/tasks/{task.pk}/analyze")
    assert again.status_code == 202


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.PROCESSING},
        {"transcript_text": "   "},
        {"kind": Kind.TODO, "file_path": ""},
    ],
    ids=["still running", "empty transcript", "a to-do"],
)
def test_it_refuses_to_analyse_what_is_not_a_finished_transcript(
    owner: User, fields: dict[str, Any], queues: Any
) -> None:
    task = finished_transcript(owner, ENGLISH)
    Task.objects.filter(pk=task.pk).update(**fields)
    response = client_for(owner).post(f"/api/v1/tasks/{task.pk}/analyze")
    assert response.status_code == 409
    assert response.json()["code"] == "not_analyzable"
    assert queues["default"].count == 0


def test_it_does_not_let_others_analyse_a_transcript(owner: User, queues: Any) -> None:
    from conftest import make_user

    task = finished_transcript(owner, ENGLISH)
    stranger = make_user(name="charlie")
    response = client_for(stranger).post(f"/api/v1/tasks/{task.pk}/analyze")
    assert response.status_code == 404
    assert Task.objects.get(pk=task.pk).analysis_status == AnalysisStatus.NONE


def test_it_keeps_a_huge_documents_text_within_what_search_can_index(
    owner: User, queues: Any, drain: Any
) -> None:
    import random
    import string

    # Made-up words: every one distinct to PostgreSQL's full-text index, the worst case for
    # its 1 MB limit on a document's index entry.
    rng = random.Random(1)
    words = (
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(200_000)
    )
    text = " ".join(words)
    assert len(text) > 1_000_000
    file = SimpleUploadedFile("huge.txt", text.encode(), content_type="text/plain")
    body = create(owner, file=file).json()

    drain()

    task = Task.objects.get(pk=body["id"])
    assert task.status == Status.COMPLETED, task.error_message
    result = result_of(task.pk)
    assert result["document"]["truncated"] is True
    assert result["document"]["characters"] == len(text)
    assert text.startswith(task.transcript_text) and len(task.transcript_text) == 300_000
    assert result["analysis"]["stats"]["truncated"] is True
