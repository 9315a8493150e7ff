"""The whole path: an API upload, an RQ worker, COMPLETED in the API, every download valid."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_tokens
from transcription.tests.conftest import assert_jfk

pytestmark = pytest.mark.django_db(transaction=True)

CUE_TIME = r"\d\d:\d\d:\d\d[,.]\d\d\d"


def client_for(user: User) -> APIClient:
    client = APIClient()
    access, _refresh = issue_tokens(user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_it_transcribes_an_api_upload_and_serves_every_format(
    owner: User, jfk_flac: Path, drain: Any
) -> None:
    client = client_for(owner)
    with jfk_flac.open("rb") as audio:
        created = client.post("/api/v1/tasks", {"title": "JFK", "file": audio}, format="multipart")
    assert created.status_code == 202, created.content
    task_id = created.json()["id"]
    queued = client.get(f"/api/v1/tasks/{task_id}").json()
    assert queued["status"] == "IN_PROGRESS"
    assert queued["queue_position"] == 1

    assert drain()

    task = client.get(f"/api/v1/tasks/{task_id}").json()
    assert (task["status"], task["progress"], task["attempts"]) == ("COMPLETED", 100.0, 1)
    assert task["queue_position"] is None

    def download(fmt: str) -> str:
        response = client.get(f"/api/v1/tasks/{task_id}/result", {"format": fmt})
        assert response.status_code == 200, (fmt, response.status_code)
        return b"".join(response.streaming_content).decode("utf-8")

    result = json.loads(download("json"))
    assert result["partial"] is False
    assert_jfk(result["text"])
    assert_jfk(download("txt"))
    srt = download("srt")
    assert re.fullmatch(rf"(\d+\n{CUE_TIME} --> {CUE_TIME}\n[^\n]+\n\n?)+", srt)
    vtt = download("vtt")
    assert vtt.startswith("WEBVTT\n\n")
    assert re.fullmatch(
        rf"(\d+\n{CUE_TIME} --> {CUE_TIME}\n[^\n]+\n\n?)+", vtt[len("WEBVTT\n\n") :]
    )
    starts = [float(row.split("\t")[0]) for row in download("tsv").splitlines()[1:]]
    assert starts == sorted(starts) and starts
