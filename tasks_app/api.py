"""The /api/v1/tasks endpoints: thin views over tasks_app.services."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks_app import blobs, bulk, ranges, services, task_json
from tasks_app.models import TERMINAL, Task
from tasks_app.serializers import (
    MAX_LIMIT,
    BulkCreateSerializer,
    BulkUpdateResultSerializer,
    BulkUpdateSerializer,
    FileResultSerializer,
    TaskCreateSerializer,
    TaskListQuerySerializer,
    TaskListSerializer,
    TaskSerializer,
    TaskUpdateSerializer,
    TaskWaitQuerySerializer,
    TextResultSerializer,
    TranscriptResultSerializer,
    VideoResultSerializer,
)
from tasks_app.transcripts import services as transcripts
from tasks_app.uploads import UploadRejected, display_filename, limit_upload_size
from tasks_app.waiting import Wait, waiting_view
from transcription.services import FORMATS, eta_for_states, eta_for_tasks, render_download
from writers.api import validated, validated_query
from writers.schema import RETRY_AFTER, ErrorSerializer, server_busy

MEDIA_TYPES = ("audio/", "video/")
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; field errors per field."),
    403: OpenApiResponse(ErrorSerializer, description="The task belongs to someone else."),
    404: OpenApiResponse(ErrorSerializer, description="No such task."),
    409: OpenApiResponse(ErrorSerializer, description="Not possible in the task's state."),
}


# A list's tasks show their workspace's name and assignee's name (TaskSerializer): the other
# columns of those two are not read (to compile, fetch and parse for 100 rows: 2-3 ms a page).
SHOWN = {"workspace": {"id", "name", "personal_owner"}, "assignee": {"id", "username", "full_name"}}
UNSHOWN = tuple(
    f"{relation}__{field.name}"
    for relation, kept in SHOWN.items()
    for field in Task._meta.get_field(relation).related_model._meta.concrete_fields
    if field.name not in kept
)


def list_context(page: list[Task]) -> dict[str, Any]:
    # The page's tags come as rows in one query (services.tags_by_task), not as objects.
    return {"etas": eta_for_tasks(page), "tags": services.tags_by_task(page)}


def serialized_tasks(pks: list[Any]) -> dict[Any, str]:
    """The JSON text of each of these tasks as TaskSerializer and DRF's renderer write it."""
    if not pks:
        return {}
    tasks = Task.objects.filter(pk__in=pks).select_related("workspace", "assignee")
    page = list(tasks.defer(*UNSHOWN).without_text())
    renderer = JSONRenderer()
    return {
        task.pk: renderer.render(data).decode()
        for task, data in zip(
            page, TaskSerializer(page, many=True, context=list_context(page)).data, strict=True
        )
    }


def written_list(rows: list[task_json.Row], total: int | None, tasks: Callable[[], Any]) -> bytes:
    """The list's answer for a page as the serializer path gives it, from its rows and total
    written by PostgreSQL (task_json.page); only a video with a kept sound track goes through
    the serializer. `tasks` builds the list's query, counted for a page past the end."""
    etas = eta_for_states({row.pk: row.status for row in rows if row.active})
    serialized = serialized_tasks([row.pk for row in rows if row.text is None])
    items = ",".join(
        serialized[row.pk] if row.text is None else task_json.with_eta(row.text, etas.get(row.pk))
        for row in rows
    )
    body = f'{{"tasks":[{items}],"total":{tasks().count() if total is None else total}}}'
    # As DRF's JSONRenderer does: JavaScript takes these two for line ends.
    return body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The task-specific refusals; 401 and the like follow from the view (writers.schema)."""
    return {code: ERRORS[code] for code in codes}


def error_response(code: str, detail: str, http_status: int) -> Response:
    return Response({"detail": detail, "code": code}, status=http_status)


class TaskAPIView(APIView):
    """Turns the services' errors into JSON answers and limits upload size before parsing."""

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Authentication may parse the body (cookie auth checks CSRF in POST data), so the
        # streaming limit goes on before DRF touches the request.
        limit_upload_size(request)
        return super().initialize_request(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, UploadRejected):
            response = error_response(exc.code, exc.message, exc.http_status)
            if exc.retry_after:
                response["Retry-After"] = str(exc.retry_after)
            return response
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            exc = ValidationError(detail)
        return super().handle_exception(exc)

    def task_response(self, task: Task, http_status: int = status.HTTP_200_OK) -> Response:
        data = TaskSerializer(task, context={"etas": eta_for_tasks([task])}).data
        return Response(data, status=http_status)


class TasksView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_list",
        parameters=[TaskListQuerySerializer],
        responses={200: TaskListSerializer, **errors(400)},
    )
    def get(self, request: Request) -> Response:
        params = validated_query(TaskListQuerySerializer, request.query_params)
        filters = services.task_filters(
            request.user,
            status=params.get("status_filter", ""),
            q=params.get("q", ""),
            ordering=params["ordering"],
            workspace=params.get("workspace"),
            assignee=params.get("assignee"),
            tags=params.get("tag", ()),
            priority=params.get("priority", ""),
            overdue=params["overdue"],
        )
        start = params["skip"]
        stop = start + min(params["limit"], MAX_LIMIT)
        if task_json.available():
            tasks = partial(services.tasks_matching, request.user, filters)
            totals = partial(services.task_totals, request.user, filters)
            key = filters.statement_key(request.user)
            rows, total = task_json.page(tasks, start, stop, key, request.user.pk, totals)
            body = written_list(rows, total, tasks)
            return HttpResponse(body, content_type="application/json")
        tasks = services.tasks_matching(request.user, filters)
        page = list(tasks.prefetch_related(None).defer(*UNSHOWN).without_text()[start:stop])
        data = TaskSerializer(page, many=True, context=list_context(page)).data
        return Response({"tasks": data, "total": tasks.count()})

    @extend_schema(
        operation_id="tasks_create",
        request={
            "multipart/form-data": TaskCreateSerializer,
            "application/json": TaskCreateSerializer,
        },
        responses={
            201: OpenApiResponse(TaskSerializer, description="A to-do was created."),
            202: OpenApiResponse(TaskSerializer, description="The upload or text was queued."),
            413: OpenApiResponse(ErrorSerializer, description="The file is too large."),
            415: OpenApiResponse(
                ErrorSerializer,
                description="The file is not of an accepted type, or not what its name says.",
            ),
            422: OpenApiResponse(
                ErrorSerializer,
                description="The file is damaged, too long, or a document without text.",
            ),
            **server_busy(),
            **errors(400),
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> Response:
        serializer = TaskCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        upload = data.pop("file", None)
        title = data.pop("title")
        description = data.pop("description")
        due_date = data.pop("due_date")
        text = data.pop("text", "") or None
        any_file = data.pop("kind") == "file"
        team = {name: data.pop(name) for name in ("assignee", "priority", "tags") if name in data}
        task = services.create_task(
            request.user,
            title=title,
            description=description,
            due_date=due_date,
            upload=upload,
            options=data,
            text=text,
            any_file=any_file,
            workspace=data.pop("workspace", None),
            **team,
        )
        if not task.has_file:
            return self.task_response(task, status.HTTP_201_CREATED)
        response = self.task_response(task, status.HTTP_202_ACCEPTED)
        response["Location"] = request.build_absolute_uri(
            reverse("tasks_api:detail", args=[task.pk])
        )
        return response


class TasksBulkView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_bulk_create",
        request=BulkCreateSerializer,
        responses={201: TaskListSerializer, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        serializer = BulkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tasks = services.create_todos(
            request.user,
            serializer.validated_data["tasks"],
            workspace=serializer.validated_data.get("workspace"),
        )
        data = TaskSerializer(tasks, many=True, context={"etas": {}}).data
        return Response({"tasks": data, "total": len(tasks)}, status=status.HTTP_201_CREATED)


class TasksBulkUpdateView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_bulk_update",
        request=BulkUpdateSerializer,
        description=(
            "One action on up to 100 tasks: assign (`assignee`: a user id, null unassigns), "
            "tag and untag (`tags`: tag ids), priority (`priority`), move (`workspace`: a "
            "workspace id), cancel, delete (to the Trash). All or nothing: an unknown id, a "
            "task in a workspace you are not a member of (404, both 'No such task'), one where "
            "you are a viewer (403) or a value that does not suit every task (400) changes "
            "nothing. Cancel reports the tasks already finished in `skipped` and cancels the "
            "others."
        ),
        responses={200: BulkUpdateResultSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        serializer = BulkUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ids = data.pop("ids")
        action = data.pop("action")
        try:
            result = bulk.bulk_update(request.user, ids, action, **data)
        except Http404 as missing:
            return error_response("not_found", str(missing), 404)
        context = {"etas": eta_for_tasks(result.updated)}
        return Response(
            {
                "updated": len(result.updated),
                "tasks": TaskSerializer(result.updated, many=True, context=context).data,
                "skipped": [
                    {"id": str(task.pk), "reason": reason} for task, reason in result.skipped
                ],
            }
        )


class TaskDetailView(TaskAPIView):
    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        # `?wait=N` waits on the event loop, holding no thread (tasks_app.waiting).
        return waiting_view(super().as_view(**initkwargs))

    @extend_schema(
        operation_id="tasks_retrieve",
        parameters=[TaskWaitQuerySerializer],
        responses={200: TaskSerializer, **errors(400, 403, 404)},
    )
    def get(self, request: Request, task_id: str) -> Response:
        task = services.get_task_for_user(request.user, task_id)
        seconds = validated(TaskWaitQuerySerializer, request.query_params).get("wait")
        response = self.task_response(task)
        if seconds and task.status not in TERMINAL:
            arrived = task.status
            answer = partial(self.answer_after_wait, task_id)
            response.waiting = Wait(task.pk, seconds, lambda now: now != arrived, answer)
        return response

    def answer_after_wait(self, task_id: str, response: Response) -> HttpResponseBase:
        """The task as it is now, by the same rules as the first look (a task deleted or taken
        out of reach meanwhile is the same 404)."""
        request = response.renderer_context["request"]
        try:
            answer = self.task_response(services.get_task_for_user(request.user, task_id))
        except Exception as error:  # noqa: BLE001 (handle_exception re-raises what it cannot answer)
            answer = self.handle_exception(error)
        return self.finalize_response(request, answer)

    @extend_schema(
        operation_id="tasks_partial_update",
        request=TaskUpdateSerializer(partial=True),
        responses={200: TaskSerializer, **errors(400, 403, 404)},
    )
    def patch(self, request: Request, task_id: str) -> Response:
        return self._update(request, task_id, partial=True)

    @extend_schema(
        operation_id="tasks_update",
        request=TaskUpdateSerializer,
        responses={200: TaskSerializer, **errors(400, 403, 404)},
    )
    def put(self, request: Request, task_id: str) -> Response:
        return self._update(request, task_id, partial=False)

    def _update(self, request: Request, task_id: str, *, partial: bool) -> Response:
        task = services.get_task_to_change(request.user, task_id)
        serializer = TaskUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        return self.task_response(services.update_task(task, actor=request.user, **fields))

    @extend_schema(
        operation_id="tasks_destroy",
        responses={
            204: OpenApiResponse(description="Moved to the Trash (restore: POST …/restore)."),
            **errors(403, 404),
        },
    )
    def delete(self, request: Request, task_id: str) -> Response:
        services.delete_task(services.get_task_to_change(request.user, task_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskCancelView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_cancel",
        request=None,
        responses={202: TaskSerializer, **errors(403, 404, 409)},
    )
    def post(self, request: Request, task_id: str) -> Response:
        task = services.get_task_to_change(request.user, task_id)
        if not services.cancel_task(task):
            return error_response(
                "not_cancellable", f"The task is already {task.get_status_display()}.", 409
            )
        return self.task_response(task, status.HTTP_202_ACCEPTED)


class TaskRestoreView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_restore",
        request=None,
        description=(
            "Bring a deleted task back from the Trash, with its files and result, until "
            "`purge_deleted` removes it (TRASH_RETENTION_HOURS after the delete). 404 when the "
            "task is not in your Trash."
        ),
        responses={200: TaskSerializer, **errors(404)},
    )
    def post(self, request: Request, task_id: str) -> Response:
        task = services.get_deleted_task_for_user(request.user, task_id)
        services.restore_task(task)
        return self.task_response(task)


class TaskRetryView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_retry",
        request=None,
        responses={202: TaskSerializer, **errors(403, 404, 409)},
    )
    def post(self, request: Request, task_id: str) -> Response:
        task = services.get_task_to_change(request.user, task_id)
        if not services.retry_task(task):
            return error_response(
                "not_retryable",
                "Only a failed or cancelled transcription whose audio is kept can be retried.",
                409,
            )
        return self.task_response(task, status.HTTP_202_ACCEPTED)


class JSONErrorsOnly(BaseContentNegotiation):
    """Downloads answer in their own type; DRF renders only their errors, always as JSON, and
    `?format=` names the transcript format rather than a DRF renderer."""

    def select_parser(self, request: Request, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


def download(stream: Any, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(stream, content_type=content_type)
    return as_attachment(response, filename)


def download_file(
    request: Request, name: str, filename: str, content_type: str
) -> HttpResponseBase:
    """A stored file with byte ranges (players seek), or handed to nginx; see tasks_app.ranges.
    On an object store with S3_PRESIGNED_DOWNLOADS, a redirect to a short-lived URL of the
    store, which then sends the bytes (and answers ranges) with these same headers."""
    if settings.S3_PRESIGNED_DOWNLOADS and not blobs.is_local():
        shown = display_filename(filename, fallback="download")
        url = blobs.presigned_url(name, filename=shown, content_type=content_type)
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = "private, no-store"
        redirect["X-Content-Type-Options"] = "nosniff"
        return redirect
    return as_attachment(ranges.file_response(request, name, content_type), filename)


def as_attachment(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    response["Content-Disposition"] = content_disposition_header(
        True, display_filename(filename, fallback="download")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# Stored files answer `Range: bytes=first-last` (also `first-` and `-suffix`), so players seek.
RANGES = {
    (206, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="The byte range asked for with `Range` (one range; `Content-Range` says "
        "which). Several ranges, or a malformed header, get the whole file with 200.",
    ),
    416: OpenApiResponse(
        description="The range starts past the end of the file (`Content-Range: bytes */size`)."
    ),
    302: OpenApiResponse(
        description="On an object store with S3_PRESIGNED_DOWNLOADS=1: `Location` is a URL of "
        "the store, good for S3_PRESIGNED_SECONDS, that sends the file (and answers `Range`)."
    ),
}


class TaskFileView(TaskAPIView):
    content_negotiation_class = JSONErrorsOnly

    @extend_schema(
        operation_id="tasks_file",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The original upload."
            ),
            **RANGES,
            410: OpenApiResponse(ErrorSerializer, description="The audio was deleted."),
            **errors(403, 404),
        },
    )
    def get(self, request: Request, task_id: str) -> Response | HttpResponseBase:
        task = services.get_task_for_user(request.user, task_id)
        if not task.has_file:
            return error_response("no_file", "This task has no file.", 404)
        name = services.upload_name(task)
        if name is None:
            return error_response("file_gone", "The audio of this task was deleted.", 410)
        # Only media types are passed on; anything else (a document, any file) is bytes.
        content_type = task.content_type if task.content_type.startswith(MEDIA_TYPES) else ""
        return download_file(
            request,
            name,
            f"{task.title}{Path(task.file_path).suffix}",
            content_type or "application/octet-stream",
        )


class TaskThumbnailView(TaskAPIView):
    content_negotiation_class = JSONErrorsOnly

    @extend_schema(
        operation_id="tasks_thumbnail",
        responses={
            (200, "image/jpeg"): OpenApiResponse(
                OpenApiTypes.BINARY, description="A still of the video, 320 pixels wide."
            ),
            **errors(403, 404),
        },
    )
    def get(self, request: Request, task_id: str) -> Response | HttpResponse:
        task = services.get_task_for_user(request.user, task_id)
        # A still is a few kilobytes: read whole, from the disk or the store alike (one
        # request to the store: absent reads as None).
        image = blobs.read_bytes(task.thumbnail_path) if task.thumbnail_path else None
        if image is None:
            return error_response("no_thumbnail", "This task has no thumbnail.", 404)
        response = HttpResponse(image, content_type="image/jpeg")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=3600"
        return response


class TaskAudioView(TaskAPIView):
    content_negotiation_class = JSONErrorsOnly

    @extend_schema(
        operation_id="tasks_audio",
        responses={
            (200, "audio/flac"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="A video's sound track as 16 kHz mono FLAC (option normalized_audio).",
            ),
            **RANGES,
            **errors(403, 404),
        },
    )
    def get(self, request: Request, task_id: str) -> Response | HttpResponseBase:
        task = services.get_task_for_user(request.user, task_id)
        name = services.normalized_audio_name(task)
        if name is None:
            return error_response(
                "no_audio", "This task keeps no normalized copy of its sound.", 404
            )
        return download_file(request, name, f"{task.title}.flac", "audio/flac")


class TaskAnalyzeView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_analyze",
        request=None,
        responses={
            202: OpenApiResponse(
                TaskSerializer,
                description="The analysis is queued; the result gains `analysis` when it is "
                "done (`analysis_status`: completed).",
            ),
            503: OpenApiResponse(ErrorSerializer, description="The queue is unreachable."),
            **errors(403, 404, 409),
        },
    )
    def post(self, request: Request, task_id: str) -> Response:
        task = services.get_task_to_change(request.user, task_id)
        if not task.can_analyze():
            return error_response(
                "not_analyzable",
                "Only a completed transcription with a transcript can be analysed, and only "
                "one analysis at a time.",
                409,
            )
        if not services.request_analysis(task):
            return error_response(
                "queue_unavailable", "The analysis could not be queued; try again shortly.", 503
            )
        return self.task_response(task, status.HTTP_202_ACCEPTED)


RESULT_SHAPES = PolymorphicProxySerializer(
    component_name="TaskResult",
    serializers=[
        TranscriptResultSerializer,
        VideoResultSerializer,
        TextResultSerializer,
        FileResultSerializer,
    ],
    resource_type_field_name=None,
)


class TaskResultView(TaskAPIView):
    content_negotiation_class = JSONErrorsOnly

    @extend_schema(
        operation_id="tasks_result",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(FORMATS),
                default="json",
                description="Transcript format.",
            ),
            OpenApiParameter(
                "version",
                str,
                default="edited",
                description="Which transcript: `edited` (the current one; the machine's while "
                "nobody edited it), `original` (the machine's, as it wrote it) or a revision "
                "number (GET …/transcript/revisions). 400 for any other.",
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                RESULT_SHAPES,
                description="format=json: the result document, shaped by the task's kind "
                "(transcription, video, text, file). Transcripts, videos and texts may carry "
                "`analysis`.",
            ),
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The transcript in the asked format."
            ),
            **errors(400, 403, 404, 409),
        },
    )
    def get(self, request: Request, task_id: str) -> Response | FileResponse:
        task = services.get_task_for_user(request.user, task_id)
        fmt = request.query_params.get("format", "json")
        if fmt not in FORMATS:
            return error_response(
                "unknown_format", f"Choose a format among: {', '.join(FORMATS)}.", 400
            )
        try:
            result = transcripts.result_for(task, request.query_params.get("version", "edited"))
        except transcripts.InvalidOperation as error:
            response = error_response("unknown_version", error.message, 400)
            response.data["field"] = error.field
            return response
        except transcripts.NotReady:
            return error_response(
                "result_not_ready",
                f"No transcript yet: the task is {task.get_status_display().lower()}. "
                "Try again when it has completed.",
                409,
            )
        body = render_download(result, fmt, title=task.title)
        return download(io.BytesIO(body), f"{task.title}.{fmt}", FORMATS[fmt][0])
