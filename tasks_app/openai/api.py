"""OpenAI-compatible audio API at /v1/: scripts written for OpenAI's Whisper API work unchanged.

`POST /v1/audio/transcriptions` and `/v1/audio/translations` take OpenAI's multipart fields and
create a normal Task (visible on the dashboard, durable on the queue), then wait for it up to
OPENAI_WAIT_SECONDS and answer in OpenAI's shape for `response_format`. If the task is still
running by then, or the client sent `Prefer: respond-async`, the answer is 202 with the task's URL
in `Location` and the body, to be polled on /api/v1/tasks/{id}. Every error is OpenAI's
`{"error": {"message", "type", "param", "code"}}`.

Authentication is the API's: `Authorization: Bearer` with a personal API token (`wrt_…`, what
the OpenAI client sends as its api_key) or a JWT. The model `whisper-1` means the server's
default model; any installed model name works too. `temperature` is accepted and checked for
OpenAI compatibility, but decoding always uses faster-whisper's temperature fallback schedule.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttles import AuthThrottle
from tasks_app import services
from tasks_app.blobs import StoreUnavailable
from tasks_app.models import TERMINAL, ErrorCode, Mode, Status, Task
from tasks_app.uploads import (
    AUDIO_EXTENSIONS,
    VIDEO_EXTENSIONS,
    UploadRejected,
    limit_upload_size,
    upload_extension,
)
from tasks_app.waiting import Wait, waiting_view
from transcription.services import LANGUAGES, available_models, render
from writers.api import STORE_RETRY_AFTER_SECONDS, STORE_UNAVAILABLE, store_unavailable_message
from writers.schema import RETRY_AFTER, server_busy

DEFAULT_MODEL_ALIAS = "whisper-1"
RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
GRANULARITIES = ("word", "segment")
MEDIA_EXTENSIONS = AUDIO_EXTENSIONS + VIDEO_EXTENSIONS
# Unix time of the first Writers release; OpenAI's model objects carry a creation time.
MODELS_CREATED = 1767225600
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
}
# A task that failed because of its audio is the caller's error, anything else is the server's.
CLIENT_ERROR_CODES = frozenset({ErrorCode.DECODE_ERROR, ErrorCode.AUDIO_TOO_LONG})


class OpenAIError(exceptions.APIException):
    def __init__(self, message: str, http_status: int, *, param: str | None, code: str) -> None:
        super().__init__(message, code)
        self.status_code = http_status
        self.param = param


def invalid(message: str, param: str, code: str = "invalid_value") -> OpenAIError:
    return OpenAIError(message, 400, param=param, code=code)


class OpenAIThrottle(AuthThrottle):
    """Requests per signed-in user (THROTTLE_OPENAI), answered 429 in OpenAI's shape."""

    scope = "openai"

    def identity(self, request: Request) -> str | None:
        return str(request.user.pk) if request.user else None


OPENAI_ERROR = inline_serializer(
    "OpenAIError",
    {
        "error": inline_serializer(
            "OpenAIErrorDetail",
            {
                "message": serializers.CharField(),
                "type": serializers.CharField(),
                "param": serializers.CharField(allow_null=True),
                "code": serializers.CharField(allow_null=True),
            },
        )
    },
)


class OpenAIView(APIView):
    # Errors come in OpenAI's shape, and the schema says so (writers.schema).
    error_serializer = OPENAI_ERROR
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [OpenAIThrottle]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # The streaming size limit must be on before anything reads the body.
        limit_upload_size(request)
        return super().initialize_request(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, UploadRejected):
            # OpenAI answers 400 for a file it cannot use; "too large" keeps its 413, and a busy
            # server its 503 and Retry-After, which OpenAI's clients retry on.
            http_status = exc.http_status if exc.http_status in (413, 503) else 400
            rejected, exc = exc, OpenAIError(exc.message, http_status, param="file", code=exc.code)
            exc.wait = rejected.retry_after  # DRF's handler turns it into Retry-After
        elif isinstance(exc, StoreUnavailable):
            # The result could not be read: a 503 that OpenAI's clients retry.
            message, code = store_unavailable_message(), STORE_UNAVAILABLE
            exc = OpenAIError(message, 503, param=None, code=code)
            exc.wait = STORE_RETRY_AFTER_SECONDS
        elif isinstance(exc, DjangoValidationError):
            field, messages = _first_error(exc)
            exc = invalid(messages, field)
        response = super().handle_exception(exc)
        response.data = _error_body(exc, response)
        return response


def _first_error(error: DjangoValidationError) -> tuple[str, str]:
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.message_dict.items()))
        return {"initial_prompt": "prompt", "task": "model"}.get(field, field), " ".join(errors)
    return "file", " ".join(error.messages)


def _error_body(exc: Exception, response: Response) -> dict[str, Any]:
    data = response.data if isinstance(response.data, dict) else {"detail": response.data}
    message = data.get("detail") or "Invalid request."
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        param, errors = next(iter(exc.detail.items()))
        message = f"{param}: {' '.join(str(e) for e in errors)}"
    else:
        param = getattr(exc, "param", None)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if response.status_code == 401:
        code = "invalid_api_key"
    if not isinstance(code, str):
        code = "invalid_value"
    error_type = ERROR_TYPES.get(response.status_code, "server_error")
    return {"error": {"message": str(message), "type": error_type, "param": param, "code": code}}


class OptionsSerializer(serializers.Serializer):
    """For the schema only: the multipart fields, parsed by hand for OpenAI's error shape."""

    file = serializers.FileField()
    model = serializers.CharField(help_text=f"'{DEFAULT_MODEL_ALIAS}' or an installed model")
    language = serializers.CharField(required=False, help_text="ISO-639-1 code (transcriptions)")
    prompt = serializers.CharField(required=False)
    response_format = serializers.ChoiceField(RESPONSE_FORMATS, required=False, default="json")
    temperature = serializers.FloatField(required=False, min_value=0, max_value=1)
    timestamp_granularities = serializers.ListField(
        child=serializers.ChoiceField(GRANULARITIES), required=False
    )


ACCEPTED = inline_serializer(
    "OpenAITaskAccepted",
    {
        "id": serializers.UUIDField(),
        "object": serializers.CharField(),
        "status": serializers.CharField(),
        "url": serializers.URLField(),
    },
)


def audio_schema(mode: str) -> Any:
    return extend_schema(
        operation_id=f"openai_audio_{mode}",
        tags=["openai"],
        request={"multipart/form-data": OptionsSerializer},
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="json / verbose_json, or text for text/srt/vtt"
            ),
            202: OpenApiResponse(ACCEPTED, description="Still running: poll the task URL."),
            **dict.fromkeys((413, 500), OPENAI_ERROR),
            **server_busy(OPENAI_ERROR),
        },
        parameters=[RETRY_AFTER],
    )


class AudioView(OpenAIView):
    """Checks the request and creates the task in a thread, as any DRF view; then waits for the
    task on the event loop, holding no thread (tasks_app.waiting), and answers from a thread
    again: the DRF part answers 202 and marks it with what to wait for; the same view instance
    (`answer_after_wait`) turns the finished task into the final answer.
    """

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        return waiting_view(super().as_view(**initkwargs))


class TranscriptionsView(AudioView):
    @audio_schema("transcriptions")
    def post(self, request: Request) -> Response | HttpResponse:
        return audio_request(request, Mode.TRANSCRIBE)


class TranslationsView(AudioView):
    @audio_schema("translations")
    def post(self, request: Request) -> Response | HttpResponse:
        return audio_request(request, Mode.TRANSLATE)


class ModelsView(OpenAIView):
    throttle_classes: list[Any] = []

    @extend_schema(
        operation_id="openai_models",
        tags=["openai"],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        names = [DEFAULT_MODEL_ALIAS, *available_models()]
        data = [
            {"id": name, "object": "model", "created": MODELS_CREATED, "owned_by": "writers"}
            for name in dict.fromkeys(names)
        ]
        return Response({"object": "list", "data": data})


def audio_request(request: Request, mode: Mode) -> Response | HttpResponse:
    fields = request.data
    upload = request.FILES.get("file")
    if upload is None:
        raise invalid("Send the audio as the multipart field 'file'.", "file", "missing_file")
    _check_media(upload)
    if fields.get("stream") in ("true", "True", "1"):
        raise invalid("Streaming is not supported; leave 'stream' out.", "stream", "unsupported")
    response_format = fields.get("response_format") or "json"
    if response_format not in RESPONSE_FORMATS:
        raise invalid(
            f"response_format must be one of: {', '.join(RESPONSE_FORMATS)}.", "response_format"
        )
    granularities = fields.getlist("timestamp_granularities[]") + fields.getlist(
        "timestamp_granularities"
    )
    if any(value not in GRANULARITIES for value in granularities):
        raise invalid(
            "timestamp_granularities must be 'word' and/or 'segment'.", "timestamp_granularities"
        )
    _check_temperature(fields.get("temperature"))
    options = {
        "model": _model_name(fields.get("model")),
        "language": fields.get("language", "") if mode == Mode.TRANSCRIBE else "",
        "task": mode,
        "initial_prompt": fields.get("prompt", ""),
        "word_timestamps": "word" in granularities,
    }
    task = services.create_task(
        request.user,
        title=upload.name or "OpenAI API upload",
        description="Created through the OpenAI-compatible API.",
        upload=upload,
        options=options,
    )
    response = accepted(request, task)
    if "respond-async" not in request.headers.get("Prefer", ""):
        answer = partial(answer_after_wait, Waiting(task.pk, response_format, granularities))
        response.waiting = Wait(task.pk, settings.OPENAI_WAIT_SECONDS, is_over, answer)
    return response


def is_over(status: str | None) -> bool:
    return status is None or status in TERMINAL


@dataclass(frozen=True)
class Waiting:
    task_id: uuid.UUID
    response_format: str
    granularities: list[str]


def answer_after_wait(waiting: Waiting, response: Response) -> HttpResponseBase:
    """The answer for the task `waiting` names, as it is now, made and rendered by the DRF view
    that accepted it (its errors in OpenAI's shape, its headers)."""
    view = response.renderer_context["view"]
    request = response.renderer_context["request"]
    try:
        answer = outcome(request, Task.objects.filter(pk=waiting.task_id).first(), waiting)
    except Exception as error:  # noqa: BLE001 (handle_exception re-raises what it cannot answer)
        answer = view.handle_exception(error)
    return view.finalize_response(request, answer)


def outcome(request: Request, task: Task | None, waiting: Waiting) -> Response | HttpResponse:
    if task is None:
        raise OpenAIError("The task was deleted.", 404, param=None, code="deleted")
    if task.status == Status.COMPLETED:
        return result_response(task, waiting.response_format, waiting.granularities)
    if task.status in (Status.FAILED, Status.CANCELLED):
        raise _task_error(task)
    return accepted(request, task)


def _check_media(upload: Any) -> None:
    """Only what has speech in it: the tasks API also takes documents, this endpoint does not."""
    extension = upload_extension(upload)
    if extension not in MEDIA_EXTENSIONS:
        raise OpenAIError(
            f"Invalid file format '{extension}'. Supported formats: "
            f"{', '.join(e.lstrip('.') for e in MEDIA_EXTENSIONS)}.",
            400,
            param="file",
            code="unsupported_extension",
        )


def _model_name(raw: Any) -> str:
    name = str(raw or "").strip()
    if not name:
        raise invalid("Name a model, e.g. 'whisper-1'.", "model", "missing_model")
    # The alias means the server's default, whatever it is configured to be.
    return "" if name == DEFAULT_MODEL_ALIAS else name


def _check_temperature(raw: Any) -> None:
    if raw in (None, ""):
        return
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise invalid("temperature must be a number between 0 and 1.", "temperature")


def _task_error(task: Task) -> OpenAIError:
    if task.status == Status.CANCELLED:
        return OpenAIError("The task was cancelled.", 409, param=None, code="cancelled")
    message = task.error_message or task.get_error_code_display() or "Transcription failed."
    http_status = 400 if task.error_code in CLIENT_ERROR_CODES else 500
    return OpenAIError(message, http_status, param=None, code=task.error_code or "failed")


def accepted(request: Request, task: Task) -> Response:
    url = request.build_absolute_uri(reverse("tasks_api:detail", args=[task.pk]))
    body = {"id": str(task.pk), "object": "audio.task", "status": task.status, "url": url}
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


def result_response(
    task: Task, response_format: str, granularities: list[str]
) -> Response | HttpResponse:
    result = services.load_result(task) or {}
    if response_format in ("text", "srt", "vtt"):
        fmt = "txt" if response_format == "text" else response_format
        body = result.get("text", "").strip() + "\n" if fmt == "txt" else render(result, fmt)
        return HttpResponse(body, content_type="text/plain; charset=utf-8")
    duration = float(result.get("duration") or task.duration_seconds or 0)
    if response_format == "json":
        return Response(
            {
                "text": result.get("text", "").strip(),
                "usage": {"type": "duration", "seconds": math.ceil(duration)},
            }
        )
    return Response(verbose_json(task, result, duration, granularities))


DECODER_FIELDS = (
    "seek",
    "tokens",
    "temperature",
    "avg_logprob",
    "compression_ratio",
    "no_speech_prob",
)


def verbose_json(
    task: Task, result: dict[str, Any], duration: float, granularities: list[str]
) -> dict[str, Any]:
    segments = result.get("segments", [])
    language = result.get("language") or task.detected_language or task.language
    data: dict[str, Any] = {
        "task": "translate" if task.mode == Mode.TRANSLATE else "transcribe",
        # OpenAI names the language in lower-case English, e.g. "english".
        "language": LANGUAGES.get(language, language or "").lower(),
        "duration": duration,
        "text": result.get("text", "").strip(),
    }
    if not granularities or "segment" in granularities:
        # The decoder's values as stored; a result written before the engine stored one
        # (seek, tokens, temperature came later) leaves it out rather than inventing it.
        data["segments"] = [
            {
                "id": segment.get("id", index),
                "start": segment["start"],
                "end": segment["end"],
                "text": segment.get("text", ""),
                **{field: segment[field] for field in DECODER_FIELDS if field in segment},
            }
            for index, segment in enumerate(segments)
        ]
    if "word" in granularities:
        data["words"] = [
            {"word": word["word"].strip(), "start": word["start"], "end": word["end"]}
            for segment in segments
            for word in segment.get("words") or []
        ]
    return data
