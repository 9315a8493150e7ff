"""POST /api/v1/tasks/{id}/speakers: label the speakers of a finished transcript automatically."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from tasks_app import services
from tasks_app.api import TaskAPIView, error_response, errors
from tasks_app.models import MAX_SPEAKERS
from tasks_app.serializers import TaskSerializer
from writers.schema import ErrorSerializer


class SpeakersRequestSerializer(serializers.Serializer):
    speakers = serializers.IntegerField(
        min_value=1,
        max_value=MAX_SPEAKERS,
        help_text="How many people speak: the count cannot be guessed reliably, so it is asked.",
    )


class TaskSpeakersView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_speakers",
        request=SpeakersRequestSerializer,
        description=(
            "Label who speaks when, for the given number of speakers, as a new revision of the "
            "transcript by the system (GET …/transcript/revisions; restore the one before to "
            "undo). Approximate: a starting point to correct, never final. Follow "
            "`speakers_status` (queued, running, completed, failed with `speakers_error`)."
        ),
        responses={
            202: OpenApiResponse(TaskSerializer, description="Queued (`speakers_status`)."),
            410: OpenApiResponse(ErrorSerializer, description="The audio was deleted."),
            503: OpenApiResponse(ErrorSerializer, description="The queue is unreachable."),
            **errors(400, 403, 404, 409),
        },
    )
    def post(self, request: Request, task_id: str) -> Response:
        task = services.get_task_to_change(request.user, task_id)
        body = SpeakersRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            queued = services.request_speakers(task, body.validated_data["speakers"])
        except services.NotLabellable as refusal:
            return error_response(refusal.code, refusal.message, refusal.http_status)
        if not queued:
            return error_response(
                "queue_unavailable",
                "Speaker labelling could not be queued; try again shortly.",
                503,
            )
        return self.task_response(task, status.HTTP_202_ACCEPTED)
