"""GET /api/v1/tasks/{id}/result renders the edited transcript; ?version= picks another."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import docx
import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services

EDITS = [
    {"op": "edit", "id": 1, "text": "ask what you can do."},
    {"op": "rename_speaker", "from": "Speaker 1", "to": "Dr. Karimi"},
]


def download(client: APIClient, task: Task, query: str) -> Any:
    return client.get(f"/api/v1/tasks/{task.pk}/result?{query}")


def body(response: Any) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


@pytest.fixture
def edited(transcribed: Callable[..., Task], alice: User) -> Task:
    task = transcribed(title="Talk")
    services.apply(task, alice, 0, EDITS)
    services.apply(task, alice, 1, [{"op": "delete", "id": 2}])
    return task


def test_it_downloads_the_edited_transcript_by_default(
    edited: Task, alice: User, api: Callable[[User | None], APIClient]
) -> None:
    client = api(alice)
    assert body(download(client, edited, "format=txt")).decode() == (
        "And so my fellow Americans,\nDr. Karimi: ask what you can do.\n"
    )
    srt = body(download(client, edited, "format=srt")).decode()
    assert "00:00:04,500 --> 00:00:09,000\nDr. Karimi: ask what you can do.\n" in srt
    assert (
        "<v Dr. Karimi>ask what you can do."
        in body(download(client, edited, "format=vtt")).decode()
    )
    assert (
        "4500\t9000\tDr. Karimi: ask what you can do."
        in body(download(client, edited, "format=tsv")).decode()
    )
    document = json.loads(body(download(client, edited, "format=json")))
    assert document["transcript_version"] == 2
    assert document["text"] == "And so my fellow Americans, ask what you can do."
    assert [s["id"] for s in document["segments"]] == [0, 1]


def test_it_downloads_the_machines_transcript_as_it_was(
    edited: Task, alice: User, api: Callable[[User | None], APIClient]
) -> None:
    client = api(alice)
    txt = body(download(client, edited, "format=txt&version=original")).decode()
    assert "Speaker 1: ask not what your country can do for you." in txt
    assert "Speaker 2: Thank you." in txt
    document = json.loads(body(download(client, edited, "version=original")))
    assert document["segments"][0]["avg_logprob"] == -0.2
    assert "transcript_version" not in document
    first = body(download(client, edited, "format=txt&version=1")).decode()
    assert "Speaker 2: Thank you." in first and "Dr. Karimi" in first


def test_it_downloads_docx_with_speakers_and_times(
    edited: Task, alice: User, api: Callable[[User | None], APIClient]
) -> None:
    response = download(api(alice), edited, "format=docx")
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response["Content-Disposition"].endswith('filename="Talk.docx"')
    paragraphs = docx.Document(io.BytesIO(body(response))).paragraphs
    assert [p.text for p in paragraphs] == [
        "Talk",
        "[00:00] And so my fellow Americans,",
        "[00:04] Dr. Karimi: ask what you can do.",
    ]


@pytest.mark.parametrize("version", ["3", "latest", "-1", ""])
def test_it_answers_400_for_an_unknown_version(
    edited: Task, alice: User, api: Callable[[User | None], APIClient], version: str
) -> None:
    response = download(api(alice), edited, f"format=txt&version={version}")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_version"
    assert response.json()["field"] == "version"
