"""The tags API: /api/v1/tags (a workspace's tags, create, rename, recolour, merge, delete) and
the tags on one task, /api/v1/tasks/{id}/tags. Thin views over tasks_app.tags.services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from tasks_app.models import Task
from tasks_app.services import get_task_to_change
from tasks_app.tags import services
from tasks_app.tags.serializers import (
    TagCreateSerializer,
    TagListQuerySerializer,
    TagListSerializer,
    TagMergeSerializer,
    TagSerializer,
    TagUpdateSerializer,
    TaskTagAddSerializer,
    TaskTagsSerializer,
)
from tasks_app.workspaces.models import Role
from writers.api import validated
from writers.schema import ErrorSerializer

BAD_QUERY = OpenApiResponse(
    ErrorSerializer, description="A query parameter is invalid, e.g. a workspace you are not in."
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such tag (or it is in a workspace you are not a member of)."
)
FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="Your role in the workspace (viewer) cannot change tags."
)
EXISTS = OpenApiResponse(
    ErrorSerializer,
    description="Another tag of the workspace has this name, case aside (code `tag_exists`).",
)


def _answers(view: Callable[..., Response]) -> Callable[..., Response]:
    """A taken name as the API's 409, naming the tag that has it (field errors are 400 by the
    project's exception handler)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except services.TagExists as exists:
            return Response(
                {"detail": exists.message, "code": exists.code, "tag": exists.existing.pk},
                status=status.HTTP_409_CONFLICT,
            )

    return wrapped


def _tag_data(tag_id: int, user: Any) -> dict[str, Any]:
    # Read back with its count, as the list shows it.
    return TagSerializer(services.tags_for_user(user).get(pk=tag_id)).data


@extend_schema(
    methods=["GET"],
    parameters=[TagListQuerySerializer],
    responses={200: TagListSerializer, 400: BAD_QUERY},
    operation_id="tags_list",
    summary="The tags of your workspaces (or of one), with how many live tasks carry each",
)
@extend_schema(
    methods=["POST"],
    request=TagCreateSerializer,
    responses={201: TagSerializer, 403: FORBIDDEN, 409: EXISTS},
    operation_id="tags_create",
)
@api_view(["GET", "POST"])
@_answers
def tag_list(request: Request) -> Response:
    if request.method == "GET":
        query = validated(TagListQuerySerializer, request.query_params)
        tags = services.tags_for_user(request.user, query.get("workspace"))
        return Response({"tags": TagSerializer(tags, many=True).data})
    data = validated(TagCreateSerializer, request.data)
    tag = services.create_tag(request.user, data["workspace"], data["name"], data.get("color", ""))
    return Response(_tag_data(tag.pk, request.user), status=status.HTTP_201_CREATED)


@extend_schema(
    methods=["GET"], responses={200: TagSerializer, 404: NOT_FOUND}, operation_id="tags_retrieve"
)
@extend_schema(
    methods=["PATCH"],
    request=TagUpdateSerializer,
    responses={200: TagSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: EXISTS},
    operation_id="tags_update",
    summary="Rename and/or recolour a tag",
)
@extend_schema(
    methods=["DELETE"],
    responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    operation_id="tags_destroy",
    summary="Delete a tag; the tasks that carried it lose it",
)
@api_view(["GET", "PATCH", "DELETE"])
@_answers
def tag_detail(request: Request, tag_id: str) -> Response:
    need = Role.VIEWER if request.method == "GET" else Role.EDITOR
    tag = services.get_tag_for_user(request.user, tag_id, need)
    if request.method == "DELETE":
        services.delete_tag(tag)
        return Response(status=status.HTTP_204_NO_CONTENT)
    if request.method == "PATCH":
        data = validated(TagUpdateSerializer, request.data)
        services.update_tag(tag, name=data.get("name"), color=data.get("color"))
    return Response(_tag_data(tag.pk, request.user))


@extend_schema(
    request=TagMergeSerializer,
    responses={200: TagSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    operation_id="tags_merge",
    summary="Merge this tag into another of its workspace: its tasks get that tag, it goes",
)
@api_view(["POST"])
@_answers
def tag_merge(request: Request, tag_id: str) -> Response:
    tag = services.get_tag_for_user(request.user, tag_id, Role.EDITOR)
    data = validated(TagMergeSerializer, request.data)
    try:
        into = services.get_tag_for_user(request.user, data["into"], Role.EDITOR)
    except (Http404, PermissionDenied) as error:
        # A tag the caller cannot use is, for this merge, no tag of the workspace.
        raise serializers.ValidationError({"into": ["No such tag in this workspace."]}) from error
    kept = services.merge_tags(tag, into)
    return Response(_tag_data(kept.pk, request.user))


def _task_tags(task: Task, http_status: int = status.HTTP_200_OK) -> Response:
    return Response(TaskTagsSerializer({"tags": task.tags.all()}).data, status=http_status)


@extend_schema(
    request=TaskTagAddSerializer,
    responses={200: TaskTagsSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: EXISTS},
    operation_id="tasks_tags_add",
    summary="Put a tag on the task (by id, or by name: made when the workspace has none)",
)
@api_view(["POST"])
@_answers
def task_tags(request: Request, task_id: str) -> Response:
    task = get_task_to_change(request.user, task_id)
    data = validated(TaskTagAddSerializer, request.data)
    if data.get("name") and not data.get("tag"):
        services.add_tag_by_name(request.user, task, data["name"])
    else:
        services.add_tag(task, data.get("tag"))
    return _task_tags(task)


@extend_schema(
    responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    operation_id="tasks_tags_remove",
    summary="Take a tag off the task (no error when the task does not carry it)",
)
@api_view(["DELETE"])
@_answers
def task_tag(request: Request, task_id: str, tag_id: str) -> Response:
    task = get_task_to_change(request.user, task_id)
    services.remove_tag(task, tag_id)
    return Response(status=status.HTTP_204_NO_CONTENT)
