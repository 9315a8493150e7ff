"""At most PROBE_CONCURRENCY uploads are probed at once per web process; one that finds no free
slot in time is refused with 503 and Retry-After, in the error shape of the API it came to."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from accounts.api_tokens import create_api_token
from accounts.tokens import issue_tokens
from tasks_app import probe, uploads
from tasks_app.models import Task


@pytest.fixture
def slow_probe(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """One slot, taken by a probe that runs until the test sets the event (a docx bomb's
    probe would hold it for seconds); later probes are real."""
    settings.PROBE_CONCURRENCY = 1
    settings.PROBE_QUEUE_SECONDS = 0.2
    real_probe = uploads.run_probe
    started, finish = threading.Event(), threading.Event()

    def held_probe(path: Path, mode: str = "audio") -> dict[str, Any]:
        started.set()
        finish.wait(30)
        return {"ok": True}

    monkeypatch.setattr(uploads, "run_probe", held_probe)
    holder = threading.Thread(target=uploads.probe_upload, args=(Path("held.flac"), "audio"))
    holder.start()
    assert started.wait(10)
    monkeypatch.setattr(uploads, "run_probe", real_probe)
    yield finish
    finish.set()
    holder.join(10)


def test_it_answers_503_with_retry_after_when_every_probe_slot_is_busy(
    api: Any, alice: Any, upload: Any, queues: Any, slow_probe: threading.Event
) -> None:
    response = api(alice).post(
        "/api/v1/tasks", {"title": "Busy", "file": upload(".flac")}, format="multipart"
    )
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "server_busy"
    assert response["Retry-After"] == "1"

    slow_probe.set()
    response = api(alice).post(
        "/api/v1/tasks", {"title": "Later", "file": upload(".flac")}, format="multipart"
    )
    assert response.status_code == 202, response.content


def test_it_answers_503_in_openai_shape_when_every_probe_slot_is_busy(
    api: Any, alice: Any, upload: Any, queues: Any, slow_probe: threading.Event
) -> None:
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_api_token(alice, 'openai')[1]}")
    response = client.post(
        "/v1/audio/transcriptions",
        {"file": upload(".flac"), "model": "whisper-1"},
        format="multipart",
        HTTP_PREFER="respond-async",
    )
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "server_busy"
    assert response["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The server is busy checking other uploads, so your file was not saved."),
        ("fa", "سرور سرگرم بررسی بارگذاری‌های دیگر است و فایل شما ذخیره نشد."),
    ],
)
def test_the_upload_page_answers_503_with_retry_after_and_says_so(
    client: Client,
    alice: Any,
    upload: Any,
    queues: Any,
    slow_probe: threading.Event,
    language: str,
    message: str,
) -> None:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    client.cookies["django_language"] = language
    fields = {"title": "Kept", "mode": "transcribe", "model": "tiny.en"}
    for headers in ({}, {"X-Requested-With": "XMLHttpRequest"}):
        response = client.post("/dashboard/upload", {**fields, "file": upload(".flac")}, **headers)
        assert response.status_code == 503
        assert response["Retry-After"] == "1"
        body = response.content.decode()
        assert message in body
        assert 'role="alert"' in body and 'value="Kept"' in body
    assert not Task.objects.exists()


def test_the_schema_declares_the_503_and_its_retry_after(db: None) -> None:
    paths = yaml.safe_load(Client().get("/api/v1/schema/").content)["paths"]
    shapes = {
        "/api/v1/tasks": "Error",
        "/v1/audio/transcriptions": "OpenAIError",
        "/v1/audio/translations": "OpenAIError",
    }
    for path, shape in shapes.items():
        busy = paths[path]["post"]["responses"]["503"]
        assert "server_busy" in busy["description"], path
        schema = busy["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{shape}"}
        assert busy["headers"]["Retry-After"]["required"] is True
        assert busy["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    # Only the 503 carries the header, and it is not a request parameter.
    create = paths["/api/v1/tasks"]["post"]
    assert "headers" not in create["responses"]["413"]
    assert all(p["name"] != "Retry-After" for p in create.get("parameters", []))


def test_the_probe_runs_below_the_web_in_the_cpu_scheduler() -> None:
    # A probe takes seconds of a core; the web's answers meanwhile must not queue behind it.
    completed = uploads.run_sandboxed(
        [
            "-c",
            "import os; from tasks_app.probe import enter_sandbox; enter_sandbox(); "
            "print(os.nice(0))",
        ],
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr.decode()[-3000:]
    assert int(completed.stdout) >= probe.NICENESS > os.nice(0)
