"""Under the deployed ASGI app, requests waiting for their task hold no thread: the web answers
others meanwhile, and the waits end as their tasks do."""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from accounts.api_tokens import create_api_token
from tasks_app.models import TERMINAL, Status, Task

pytestmark = pytest.mark.django_db(transaction=True)
WAITING = 4


def transcribe(base_url: str, key: str, audio: bytes, answers: list[tuple[int, dict]]) -> None:
    boundary = "writers-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="jfk.flac"\r\n'
            "Content-Type: audio/flac\r\n\r\n"
        ).encode()
        + audio
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=120)
    connection.request(
        "POST",
        "/v1/audio/transcriptions",
        body=body,
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    response = connection.getresponse()
    answers.append((response.status, json.loads(response.read())))
    connection.close()


def threads_inside_the_wait() -> list[str]:
    """Names of threads whose stack is in the OpenAI view, or blocked in async_to_sync (what a
    sync middleware or a sync view would leave while the wait runs on the loop). A poll's own
    short query (`task_status`) runs in a thread and is not the wait."""
    found = []
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        code = []
        while frame is not None:
            code.append((frame.f_code.co_filename, frame.f_code.co_name))
            frame = frame.f_back
        if any(
            (path.endswith("tasks_app/openai/api.py") and name != "task_status")
            or path.endswith("asgiref/current_thread_executor.py")
            for path, name in code
        ):
            found.append(names.get(ident, str(ident)))
    return found


def test_it_answers_health_while_requests_wait_and_holds_no_thread_for_them(
    asgi_server: str, settings: Any, alice: Any, jfk_flac: Path, queues: Any
) -> None:
    settings.OPENAI_WAIT_SECONDS = 60
    key = create_api_token(alice, "openai")[1]
    answers: list[tuple[int, dict]] = []
    clients = [
        threading.Thread(target=transcribe, args=(asgi_server, key, jfk_flac.read_bytes(), answers))
        for _ in range(WAITING)
    ]
    for client in clients:
        client.start()
    # No worker runs: the tasks stay pending and every request waits for its own.
    deadline = time.monotonic() + 60
    while Task.objects.count() < WAITING and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Task.objects.exclude(status__in=TERMINAL).count() == WAITING
    time.sleep(1)  # past the 202 the DRF part made, into the wait

    with urlopen(f"{asgi_server}/health", timeout=10) as health:
        assert health.status == 200
    assert threads_inside_the_wait() == []
    assert answers == []

    # The waits end as the tasks do, with the answer for the task as it is then.
    Task.objects.update(status=Status.CANCELLED)
    for client in clients:
        client.join(30)
    assert [status for status, _ in answers] == [409] * WAITING
    assert {body["error"]["code"] for _, body in answers} == {"cancelled"}
