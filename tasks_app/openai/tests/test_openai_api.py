"""The OpenAI-compatible endpoints without a worker: request checks, error shapes, 202 answers,
and the response formats rendered from a stored result."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from accounts.api_tokens import create_api_token
from tasks_app.models import Mode, Status, Task
from tasks_app.openai.api import result_response

TRANSCRIPTIONS = "/v1/audio/transcriptions"
TRANSLATIONS = "/v1/audio/translations"


@pytest.fixture
def openai_client(alice: Any) -> APIClient:
    """What the OpenAI package sends: the API key as a Bearer token."""
    _token, raw = create_api_token(alice, "openai")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def form(upload: Any, **fields: Any) -> dict[str, Any]:
    return {"file": upload(".flac"), "model": "whisper-1", **fields}


def assert_openai_error(response: Any, status: int, param: str | None, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["param"], error["code"]) == (param, code)
    assert error["message"]
    return error


def test_it_answers_202_at_once_when_asked_to_respond_async(
    openai_client: APIClient,
    alice: Any,
    upload: Any,
    queues: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = openai_client.post(
            TRANSCRIPTIONS,
            form(upload, language="en", prompt="Kennedy"),
            format="multipart",
            HTTP_PREFER="respond-async",
        )
    assert response.status_code == 202, response.content
    body = response.json()
    task = Task.objects.get(pk=body["id"])
    assert response["Location"] == body["url"]
    assert body["url"].endswith(f"/api/v1/tasks/{task.pk}")
    assert (task.user, task.status, task.mode) == (alice, Status.IN_PROGRESS, Mode.TRANSCRIBE)
    # whisper-1 is the server default, recorded at upload like any task's model.
    assert (task.language, task.initial_prompt, task.model_name) == ("en", "Kennedy", "tiny.en")
    assert task.original_filename == "jfk.flac"
    assert queues["media"].count == 1


def test_it_answers_202_when_the_wait_runs_out(
    openai_client: APIClient, upload: Any, queues: Any, settings: Any
) -> None:
    settings.OPENAI_WAIT_SECONDS = 0.3
    response = openai_client.post(TRANSCRIPTIONS, form(upload), format="multipart")
    assert response.status_code == 202
    assert response.json()["status"] == Status.PENDING


def test_it_makes_translations_translate_and_ignores_their_language(
    openai_client: APIClient, upload: Any, queues: Any
) -> None:
    response = openai_client.post(
        TRANSLATIONS,
        form(upload, language="fa", timestamp_granularities=["word"]),
        format="multipart",
        HTTP_PREFER="respond-async",
    )
    task = Task.objects.get(pk=response.json()["id"])
    assert (task.mode, task.language) == (Mode.TRANSLATE, "")


@pytest.mark.parametrize("key", ["timestamp_granularities[]", "timestamp_granularities"])
def test_it_asks_for_word_timestamps_with_or_without_brackets(
    openai_client: APIClient, upload: Any, queues: Any, key: str
) -> None:
    response = openai_client.post(
        TRANSCRIPTIONS,
        {**form(upload), key: ["word", "segment"]},
        format="multipart",
        HTTP_PREFER="respond-async",
    )
    assert Task.objects.get(pk=response.json()["id"]).word_timestamps is True


def test_it_lists_models(openai_client: APIClient) -> None:
    body = openai_client.get("/v1/models").json()
    assert body["object"] == "list"
    ids = [model["id"] for model in body["data"]]
    assert ids[0] == "whisper-1"
    assert "tiny.en" in ids
    assert all(model["object"] == "model" for model in body["data"])


def test_it_refuses_a_missing_or_wrong_key_in_openai_shape(db: Any, upload: Any) -> None:
    anonymous = APIClient()
    error = assert_openai_error(
        anonymous.post(TRANSCRIPTIONS, form(upload), format="multipart"),
        401,
        None,
        "invalid_api_key",
    )
    assert error["type"] == "invalid_request_error"
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer wrt_not-a-real-token")
    assert_openai_error(anonymous.get("/v1/models"), 401, None, "invalid_api_key")


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"model": ""}, "model", "missing_model"),
        ({"model": "no-such-model"}, "model", "invalid_value"),
        ({"language": "xx"}, "language", "invalid_value"),
        ({"response_format": "docx"}, "response_format", "invalid_value"),
        ({"temperature": "1.5"}, "temperature", "invalid_value"),
        ({"temperature": "warm"}, "temperature", "invalid_value"),
        ({"timestamp_granularities[]": "char"}, "timestamp_granularities", "invalid_value"),
        ({"stream": "true"}, "stream", "unsupported"),
    ],
)
def test_it_refuses_bad_fields_in_openai_shape(
    openai_client: APIClient, upload: Any, queues: Any, fields: dict, param: str, code: str
) -> None:
    response = openai_client.post(TRANSCRIPTIONS, {**form(upload), **fields}, format="multipart")
    assert_openai_error(response, 400, param, code)
    assert not Task.objects.exists()


def test_it_refuses_a_missing_file_and_a_file_that_is_not_audio(
    openai_client: APIClient, queues: Any
) -> None:
    missing = openai_client.post(TRANSCRIPTIONS, {"model": "whisper-1"}, format="multipart")
    assert_openai_error(missing, 400, "file", "missing_file")
    text = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    refused = openai_client.post(
        TRANSCRIPTIONS, {"file": text, "model": "whisper-1"}, format="multipart"
    )
    assert_openai_error(refused, 400, "file", "unsupported_extension")
    assert not Task.objects.exists()


def test_it_refuses_a_file_over_the_limit_with_413(
    openai_client: APIClient, upload: Any, settings: Any
) -> None:
    settings.MAX_UPLOAD_BYTES = 1000
    response = openai_client.post(TRANSCRIPTIONS, form(upload), format="multipart")
    assert_openai_error(response, 413, "file", "file_too_large")


def test_it_answers_503_with_retry_after_while_the_file_store_is_down(
    s3_down: Any, openai_client: APIClient, upload: Any
) -> None:
    s3_down()
    # OpenAI's clients retry a 503 after Retry-After; nothing was stored meanwhile.
    response = openai_client.post(TRANSCRIPTIONS, form(upload), format="multipart")
    assert_openai_error(response, 503, "file", "storage_unavailable")
    assert response["Retry-After"] == "30"
    assert not Task.objects.exists()


def test_it_limits_requests_per_user_with_429(
    openai_client: APIClient, upload: Any, queues: Any, settings: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "openai": "1/min",
        },
    }
    first = openai_client.post(
        TRANSCRIPTIONS, form(upload), format="multipart", HTTP_PREFER="respond-async"
    )
    assert first.status_code == 202
    second = openai_client.post(
        TRANSCRIPTIONS, form(upload), format="multipart", HTTP_PREFER="respond-async"
    )
    error = assert_openai_error(second, 429, None, "throttled")
    assert error["type"] == "rate_limit_error"
    assert int(second["Retry-After"]) >= 1


RESULT = {
    "text": " And so my fellow Americans.",
    "language": "en",
    "duration": 11.0,
    "segments": [
        {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": 2.5,
            "text": " And so",
            "tokens": [50364, 400, 370],
            "temperature": 0.2,
            "avg_logprob": -0.2,
            "compression_ratio": 1.1,
            "no_speech_prob": 0.01,
            "words": [
                {"start": 0.0, "end": 0.4, "word": " And", "probability": 0.9},
                {"start": 0.4, "end": 2.5, "word": " so", "probability": 0.8},
            ],
        },
        {"id": 1, "start": 2.5, "end": 11.0, "text": " my fellow Americans."},
    ],
}


def completed(make_task: Any, alice: Any) -> Task:
    return make_task(alice, file=True, result=RESULT, status=Status.COMPLETED)


def test_it_renders_json_and_text(make_task: Any, alice: Any) -> None:
    task = completed(make_task, alice)
    body = result_response(task, "json", []).data
    assert body == {
        "text": "And so my fellow Americans.",
        "usage": {"type": "duration", "seconds": 11},
    }
    text = result_response(task, "text", [])
    assert text["Content-Type"].startswith("text/plain")
    assert text.content.decode() == "And so my fellow Americans.\n"
    assert (
        result_response(task, "srt", [])
        .content.decode()
        .startswith("1\n00:00:00,000 --> 00:00:02,500\nAnd so\n")
    )
    assert result_response(task, "vtt", []).content.decode().startswith("WEBVTT\n\n1\n00:00:00.000")


def test_it_renders_verbose_json_like_openai(make_task: Any, alice: Any) -> None:
    task = completed(make_task, alice)
    body = json.loads(json.dumps(result_response(task, "verbose_json", ["word", "segment"]).data))
    assert (body["task"], body["language"], body["duration"]) == ("transcribe", "english", 11.0)
    assert body["words"] == [
        {"word": "And", "start": 0.0, "end": 0.4},
        {"word": "so", "start": 0.4, "end": 2.5},
    ]
    first = body["segments"][0]
    assert set(first) == {
        "id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
        "compression_ratio", "no_speech_prob",
    }  # fmt: skip
    assert (first["seek"], first["tokens"], first["temperature"]) == (0, [50364, 400, 370], 0.2)
    assert first["avg_logprob"] == -0.2
    # A segment stored without the decoder's values (an older result) gets none invented.
    assert set(body["segments"][1]) == {"id", "start", "end", "text"}
    words_only = result_response(task, "verbose_json", ["word"]).data
    assert "segments" not in words_only and len(words_only["words"]) == 2
    assert "words" not in result_response(task, "verbose_json", []).data


def test_it_maps_failed_tasks_to_openai_errors(make_task: Any, alice: Any) -> None:
    from tasks_app.openai.api import _task_error

    bad_audio = make_task(alice, file=True, status=Status.FAILED, error_code="DECODE_ERROR")
    assert (_task_error(bad_audio).status_code, _task_error(bad_audio).get_codes()) == (
        400,
        "DECODE_ERROR",
    )
    lost = make_task(alice, file=True, status=Status.FAILED, error_code="WORKER_LOST")
    assert _task_error(lost).status_code == 500
    cancelled = make_task(alice, file=True, status=Status.CANCELLED)
    assert _task_error(cancelled).status_code == 409


def test_it_is_in_the_schema(db: Any) -> None:
    schema = yaml.safe_load(Client().get("/api/v1/schema/").content)
    post = schema["paths"]["/v1/audio/transcriptions"]["post"]
    assert {"200", "202", "400", "401", "413", "429"} <= set(post["responses"])
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"/v1/audio/translations", "/v1/models"} <= set(schema["paths"])
