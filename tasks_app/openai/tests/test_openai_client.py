"""The official `openai` package, pointed at a live Writers with a real worker, works unchanged."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from django.db import connection, connections
from openai import OpenAI

from accounts.api_tokens import create_api_token
from conftest import make_user
from tasks_app.models import Mode, Status, Task
from transcription import worker
from transcription.tests.conftest import assert_jfk, words

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def running_worker(queues: dict[str, Any]) -> Iterator[None]:
    """A worker thread that drains the queues whenever a job arrives, until the test ends."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            if any(queue.count for queue in queues.values()):
                worker.work(burst=True)
            time.sleep(0.05)
        connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(120)


@pytest.fixture
def short_lived_connections() -> Iterator[None]:
    """The live server answers each request in a new thread; with persistent connections each
    thread would leave one open behind it and the test database could not be dropped."""
    config = connections.settings["default"]
    saved = config["CONN_MAX_AGE"]
    config["CONN_MAX_AGE"] = 0
    yield
    config["CONN_MAX_AGE"] = saved


@pytest.fixture
def client(live_server: Any, settings: Any, short_lived_connections: None) -> OpenAI:
    settings.OPENAI_WAIT_SECONDS = 120
    owner = make_user(name="alice")
    _token, raw = create_api_token(owner, "openai")
    return OpenAI(api_key=raw, base_url=f"{live_server.url}/v1", max_retries=0, timeout=150)


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
def test_it_transcribes_with_the_openai_client(
    client: OpenAI, jfk_flac: Path, running_worker: None
) -> None:
    with jfk_flac.open("rb") as audio:
        transcription = client.audio.transcriptions.create(model="whisper-1", file=audio)
    assert_jfk(transcription.text)
    task = Task.objects.get()
    assert (task.status, task.mode, task.transcript_text.strip()) == (
        Status.COMPLETED,
        Mode.TRANSCRIBE,
        transcription.text,
    )

    with jfk_flac.open("rb") as audio:
        verbose = client.audio.transcriptions.create(
            model="tiny.en",
            file=audio,
            language="en",
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )
    assert verbose.language == "english"
    assert verbose.duration == pytest.approx(11.0, abs=0.1)
    assert verbose.words and verbose.words[0].end > verbose.words[0].start
    assert verbose.segments and verbose.segments[-1].end <= 11.1
    assert_jfk(verbose.text)

    with jfk_flac.open("rb") as audio:
        srt = client.audio.transcriptions.create(
            model="whisper-1", file=audio, response_format="srt"
        )
    assert isinstance(srt, str) and srt.startswith("1\n00:00:00,")


# The openai package marks its translations method deprecated; scripts still call it.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.slow
def test_it_translates_with_the_openai_client(
    client: OpenAI, speech: dict[str, Path], base_model: str, running_worker: None
) -> None:
    # German speech and the multilingual model: English words can only come from translating.
    with speech["de"].open("rb") as audio:
        text = client.audio.translations.create(
            model="whisper-1", file=audio, response_format="text"
        )
    said = set(words(text))
    # Which words come out depends on the CPU's kernels: on an AMD EPYC host "Kaffee" stayed as
    # a loanword ("I am in Kaffee"), where an earlier host said "coffee".
    assert {"good", "morning"} <= said, text
    assert said & {"today", "weather", "coffee", "newspaper", "afternoon", "dog"}, text
    assert not {"guten", "morgen", "heute", "zeitung", "hund"} & said, text
    task = Task.objects.get()
    assert (task.mode, task.detected_language) == (Mode.TRANSLATE, "de")


def test_it_lists_models_and_raises_openai_errors_in_the_client(
    client: OpenAI, live_server: Any, jfk_flac: Path
) -> None:
    assert "whisper-1" in [model.id for model in client.models.list()]
    with jfk_flac.open("rb") as audio, pytest.raises(openai.BadRequestError) as bad:
        client.audio.transcriptions.create(model="whisper-1", file=audio, language="xx")
    assert bad.value.code == "invalid_value"
    assert bad.value.param == "language"

    stranger = OpenAI(api_key="wrt_wrong", base_url=f"{live_server.url}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        stranger.models.list()
    assert refused.value.code == "invalid_api_key"


def test_it_answers_respond_async_with_the_task_url(
    client: OpenAI, live_server: Any, jfk_flac: Path, queues: Any
) -> None:
    with jfk_flac.open("rb") as audio:
        raw = client.audio.transcriptions.with_raw_response.create(
            model="whisper-1", file=audio, extra_headers={"Prefer": "respond-async"}
        )
    assert raw.status_code == 202
    task = Task.objects.get()
    assert raw.headers["Location"] == f"{live_server.url}/api/v1/tasks/{task.pk}"
