"""/api/v1/tasks/{id}/transcript: read and edit the transcript, its history, restore a revision.
Thin views over tasks_app.transcripts.services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from tasks_app import services as task_services
from tasks_app.api import TaskAPIView, error_response, errors
from tasks_app.transcripts import services
from tasks_app.transcripts.serializers import (
    RestoreSerializer,
    RevisionListSerializer,
    RevisionSerializer,
    TranscriptErrorSerializer,
    TranscriptPatchSerializer,
    TranscriptSerializer,
)

NOT_READY = OpenApiResponse(
    TranscriptErrorSerializer,
    description="No transcript yet (transcript_not_ready), or an edit before the task "
    "completed (task_not_completed), or a stale version (stale_version, with `transcript`: "
    "the current one).",
)
VERSION_MESSAGE = "Send the transcript's version (an integer, from GET …/transcript)."
BAD_INPUT = OpenApiResponse(
    TranscriptErrorSerializer, description="A bad operation or version; `field` names it."
)


class TranscriptAPIView(TaskAPIView):
    """Turns the transcript services' refusals into the API's error shape."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.InvalidOperation):
            response = error_response("invalid_operation", exc.message, 400)
            response.data["field"] = exc.field
            return response
        if isinstance(exc, services.NotReady):
            return error_response("transcript_not_ready", exc.message, 409)
        if isinstance(exc, services.NotEditable):
            return error_response("task_not_completed", exc.message, 409)
        if isinstance(exc, services.StaleVersion):
            response = error_response("stale_version", exc.message, 409)
            response.data["transcript"] = TranscriptSerializer.of(exc.current)
            return response
        return super().handle_exception(exc)


def _version(data: Any) -> int | None:
    """The body's `version`: the transcript version a change was made to, if sent."""
    value = data.get("version") if isinstance(data, dict) else None
    if value is not None and (type(value) is not int or value < 0):
        raise services.InvalidOperation("version", VERSION_MESSAGE)
    return value


class TranscriptView(TranscriptAPIView):
    @extend_schema(
        operation_id="tasks_transcript",
        description="The transcript as it is now: the newest revision, or the machine's while "
        "nobody edited it. Segments carry stable ids; `version` goes back with PATCH.",
        responses={200: TranscriptSerializer, 409: NOT_READY, **errors(403, 404)},
    )
    def get(self, request: Request, task_id: str) -> Response:
        task = task_services.get_task_for_user(request.user, task_id)
        return Response(TranscriptSerializer.of(services.current(task)))

    @extend_schema(
        operation_id="tasks_transcript_edit",
        request={"application/json": TranscriptPatchSerializer},
        description="Apply a list of operations to the version named, all or nothing, as one "
        "new revision. 409 stale_version when someone saved a newer version first: nothing is "
        "saved and the answer carries the current transcript.",
        responses={200: TranscriptSerializer, 400: BAD_INPUT, 409: NOT_READY, **errors(403, 404)},
    )
    def patch(self, request: Request, task_id: str) -> Response:
        task = task_services.get_task_to_change(request.user, task_id)
        version = _version(request.data)
        if version is None:
            raise services.InvalidOperation("version", VERSION_MESSAGE)
        operations = request.data.get("operations")
        transcript = services.apply(task, request.user, version, operations)
        return Response(TranscriptSerializer.of(transcript))


class TranscriptRevisionsView(TranscriptAPIView):
    @extend_schema(
        operation_id="tasks_transcript_revisions",
        description="The transcript's history, newest first; revision 0 is the machine's "
        "transcript, always kept (download it with `…/result?version=original`).",
        responses={200: RevisionListSerializer, 409: NOT_READY, **errors(403, 404)},
    )
    def get(self, request: Request, task_id: str) -> Response:
        task = task_services.get_task_for_user(request.user, task_id)
        history = services.revisions(task)
        return Response(
            {"version": task.transcript_version, "revisions": RevisionSerializer.of(history)}
        )


class TranscriptRestoreView(TranscriptAPIView):
    @extend_schema(
        operation_id="tasks_transcript_restore",
        request={"application/json": RestoreSerializer},
        description="Make revision `number` (0: the machine's) the transcript again, as a new "
        "revision; the history keeps every revision in between.",
        responses={200: TranscriptSerializer, 400: BAD_INPUT, 409: NOT_READY, **errors(403, 404)},
    )
    def post(self, request: Request, task_id: str, number: int) -> Response:
        task = task_services.get_task_to_change(request.user, task_id)
        version = _version(request.data)
        transcript = services.restore(task, request.user, number, version)
        return Response(TranscriptSerializer.of(transcript), status=status.HTTP_200_OK)
