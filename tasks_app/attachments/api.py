"""/api/v1/tasks/{id}/attachments: files kept with a task (thin views over its services)."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from tasks_app import services
from tasks_app.api import RANGES, JSONErrorsOnly, TaskAPIView, download_file, error_response
from tasks_app.attachments import services as attachments
from tasks_app.attachments.serializers import (
    AttachmentListSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
)
from tasks_app.serializers import TaskSerializer
from writers.schema import RETRY_AFTER, ErrorSerializer, server_busy

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="No file, or an empty one."),
    403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="No such task or attachment."),
}
REFUSALS = {
    413: OpenApiResponse(ErrorSerializer, description="The file is too large."),
    415: OpenApiResponse(
        ErrorSerializer,
        description="A program or a web page, or not what its name says (a `.mp3` that is "
        "no recording).",
    ),
    422: OpenApiResponse(ErrorSerializer, description="The file is damaged."),
    **server_busy(),
}


class AttachmentsView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_attachments_list",
        responses={200: AttachmentListSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request, task_id: str) -> Response:
        task = services.get_task_for_user(request.user, task_id)
        found = AttachmentSerializer(attachments.attachments_of(task), many=True).data
        return Response({"attachments": found})

    @extend_schema(
        operation_id="tasks_attachments_create",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **ERRORS, **REFUSALS},
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request, task_id: str) -> Response:
        task = services.get_task_to_change(request.user, task_id)
        upload = request.FILES.get("file")
        if upload is None:
            return error_response("no_file", "Send the file as the multipart field `file`.", 400)
        attachment = attachments.add_attachment(task, request.user, upload)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentView(TaskAPIView):
    content_negotiation_class = JSONErrorsOnly

    @extend_schema(
        operation_id="tasks_attachments_download",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The attached file, as a download."
            ),
            **RANGES,
            410: OpenApiResponse(ErrorSerializer, description="The file is missing."),
            404: ERRORS[404],
        },
    )
    def get(self, request: Request, task_id: str, attachment_id: str) -> HttpResponseBase:
        task = services.get_task_for_user(request.user, task_id)
        attachment = attachments.get_attachment(task, attachment_id)
        name = attachments.attachment_name(attachment)
        if name is None:
            return error_response("file_gone", "The file of this attachment is missing.", 410)
        return download_file(
            request,
            name,
            attachment.original_filename or f"attachment{Path(name).suffix}",
            attachment.content_type or "application/octet-stream",
        )

    @extend_schema(
        operation_id="tasks_attachments_destroy",
        responses={
            204: OpenApiResponse(description="Deleted for good, with its file."),
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def delete(self, request: Request, task_id: str, attachment_id: str) -> Response:
        task = services.get_task_to_change(request.user, task_id)
        attachments.delete_attachment(attachments.get_attachment(task, attachment_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentAnalyzeView(TaskAPIView):
    @extend_schema(
        operation_id="tasks_attachments_analyze",
        request=None,
        description="Send a text, Markdown, PDF or Word attachment to text analysis: a new text "
        "task in the same workspace, made from a copy of the file, whose description names the "
        "task it came from. Poll it like any task.",
        responses={
            202: OpenApiResponse(TaskSerializer, description="The new text task, queued."),
            409: OpenApiResponse(ErrorSerializer, description="The attachment is no document."),
            410: OpenApiResponse(ErrorSerializer, description="The file is missing."),
            422: OpenApiResponse(
                ErrorSerializer, description="The document is damaged or has no text."
            ),
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def post(self, request: Request, task_id: str, attachment_id: str) -> Response:
        task = services.get_task_to_change(request.user, task_id)
        attachment = attachments.get_attachment(task, attachment_id)
        try:
            new_task = attachments.analyze_attachment(request.user, attachment)
        except (attachments.NotADocument, attachments.AttachmentGone) as error:
            return error_response(error.code, error.message, error.http_status)
        response = self.task_response(new_task, status.HTTP_202_ACCEPTED)
        response["Location"] = request.build_absolute_uri(
            reverse("tasks_api:detail", args=[new_task.pk])
        )
        return response
