"""Fixtures for the transcription tests: file tasks, clean queues, a worker that drains them.

Worker tests use `transactional_db`: the worker runs in another thread (or process) with its
own database connection, so it must see committed rows.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from conftest import JFK_TEXT, make_user
from tasks_app.models import Kind, Status, Task
from transcription import worker


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """jiwer's WER over lower-cased words without punctuation (models differ in both)."""
    import jiwer

    return jiwer.wer(" ".join(words(reference)), " ".join(words(hypothesis)))


def assert_jfk(text: str) -> None:
    assert word_error_rate(JFK_TEXT, text) <= 0.1, text


def looped_jfk(directory: Path, times: int) -> Path:
    from conftest import JFK_FLAC

    target = directory / f"jfk_x{times}.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-stream_loop", str(times - 1), "-i", str(JFK_FLAC)]
        + [str(target)],
        check=True,
        timeout=60,
    )
    return target


@pytest.fixture(scope="session")
def long_flac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """jfk.flac twelve times over: 132 s, long enough to stop or time out mid-job."""
    return looped_jfk(tmp_path_factory.mktemp("audio"), 12)


def waiting_task(user: User, title: str = "waiting") -> Task:
    """A transcription waiting on the queue (no worker has it yet)."""
    return Task.objects.create(
        user=user,
        title=title,
        kind=Kind.TRANSCRIPTION,
        status=Status.IN_PROGRESS,
        file_path="uploads/x.flac",
        queued_at=timezone.now(),
    )


@pytest.fixture
def owner(transactional_db: Any) -> User:
    return make_user(name="alice")


@pytest.fixture
def file_task(owner: User, jfk_flac: Path) -> Callable[..., Task]:
    """`file_task(path=jfk, **fields)`: a PENDING transcription task whose upload is a copy."""

    def make(path: Path = jfk_flac, **fields: Any) -> Task:
        fields.setdefault("title", path.name)
        task = Task(user=owner, kind=Kind.TRANSCRIPTION, status=Status.PENDING, **fields)
        relative = f"uploads/{task.id}{path.suffix}"
        (settings.STORAGE_ROOT / "uploads").mkdir(exist_ok=True)
        shutil.copyfile(path, settings.STORAGE_ROOT / relative)
        task.file_path = relative
        task.original_filename = path.name
        task.file_size = path.stat().st_size
        task.save()
        return task

    return make


@pytest.fixture
def drain(queues: Any) -> Callable[..., bool]:
    """Run a burst worker in a thread, as the UI tests do, until the queues are empty."""

    def run(timeout: float = 120) -> bool:
        outcome: dict[str, bool] = {}
        thread = threading.Thread(
            target=lambda: outcome.setdefault("worked", worker.work(burst=True)), daemon=True
        )
        thread.start()
        thread.join(timeout)
        assert not thread.is_alive(), "worker did not finish"
        return outcome["worked"]

    return run


@pytest.fixture
def background_worker(queues: Any) -> Iterator[Callable[[], threading.Thread]]:
    """A burst worker started in a thread; the test acts while it works and joins it."""
    threads: list[threading.Thread] = []

    def start() -> threading.Thread:
        thread = threading.Thread(target=lambda: worker.work(burst=True), daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield start
    for thread in threads:
        thread.join(120)


def wait_for(predicate: Callable[[], Any], timeout: float = 60, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout}s")


def status_of(task: Task) -> str:
    return Task.objects.values_list("status", flat=True).get(pk=task.pk)


def database_url() -> str:
    """The test database, for a worker subprocess."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a subprocess worker or sweeper against this test's database."""
    import os

    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        STORAGE_ROOT=str(settings.STORAGE_ROOT),
        MODEL_NAME="tiny.en",
        MODEL_DEVICE="cpu",
        BATCHED_LONG_SECONDS="0",
        CHUNK_MIN_SECONDS="0",
        ENABLE_RESOURCE_MONITORING="0",
    )
    env.update(extra)
    return env


@pytest.fixture
def store_down(settings: Any) -> Callable[[], None]:
    """`store_down()` points the object store at a port nothing listens on: refused
    connections, as from a stopped server (the S3 client is made per endpoint)."""
    import socket

    def down() -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{port}"

    return down


def worker_readings(name: str, client: Any) -> tuple[list[Any], dict[str, Any]]:
    """A worker `name` present on this process's device with a model loaded: the /metrics samples
    labelled with it and the /health/ready answer, as a scrape and a probe see them."""
    from prometheus_client.parser import text_string_to_metric_families

    from transcription import engine, worker

    engine.get_model("tiny.en")
    presence = worker.Presence(name, engine.device_label(), ["media"])
    presence.start()
    try:
        scraped = client.get("/metrics").content.decode()
        ready = client.get("/health/ready").json()
    finally:
        presence.stop()
    samples = [
        sample
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.labels.get("worker") == name
    ]
    return samples, ready
