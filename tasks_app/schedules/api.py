"""The schedules API: /api/v1/schedules (list, create), /api/v1/schedules/{id} (read with the
next runs, change, delete), .../run, .../pause, .../resume and .../executions (filtered, with a
summary). Thin views over tasks_app.schedules.services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from tasks_app.schedules import services
from tasks_app.schedules.models import Schedule
from tasks_app.schedules.serializers import (
    ExecutionListQuerySerializer,
    ExecutionListSerializer,
    ExecutionSerializer,
    ExecutionSummarySerializer,
    ScheduleListQuerySerializer,
    ScheduleListSerializer,
    ScheduleSerializer,
    ScheduleWriteSerializer,
)
from tasks_app.workspaces.models import Role, Workspace
from tasks_app.workspaces.services import personal_workspace
from writers.api import validated
from writers.schema import ErrorSerializer

EXECUTION_LIMIT = 100
BAD_QUERY = OpenApiResponse(
    ErrorSerializer, description="A query parameter is invalid, e.g. a workspace you are not in."
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No such schedule (or it is in a workspace you are not a member of).",
)
FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="Your role in the workspace (viewer) cannot change schedules."
)


def _schedule_data(schedule_id: int, user: Any) -> dict[str, Any]:
    # Read back as the list shows it: role, last outcome and tags included.
    schedule = services.schedules_for_user(user).prefetch_related("tags").get(pk=schedule_id)
    return ScheduleSerializer(schedule).data


@extend_schema(
    methods=["GET"],
    parameters=[ScheduleListQuerySerializer],
    responses={200: ScheduleListSerializer, 400: BAD_QUERY},
    operation_id="schedules_list",
    summary="The schedules of your workspaces (or of one), with their next runs",
)
@extend_schema(
    methods=["POST"],
    request=ScheduleWriteSerializer,
    responses={201: ScheduleSerializer, 403: FORBIDDEN},
    operation_id="schedules_create",
    summary="Make a schedule: a to-do from a template, or a re-run of a text analysis",
)
@api_view(["GET", "POST"])
def schedule_list(request: Request) -> Response:
    if request.method == "GET":
        query = validated(ScheduleListQuerySerializer, request.query_params)
        schedules = services.schedules_for_user(request.user, query.get("workspace"))
        data = ScheduleSerializer(schedules.prefetch_related("tags"), many=True).data
        return Response({"schedules": data})
    data = dict(validated(ScheduleWriteSerializer, request.data))
    workspace_id = data.pop("workspace", None)
    if workspace_id is None:
        workspace = personal_workspace(request.user)
    else:
        found = str(workspace_id).isdecimal() and Workspace.objects.filter(pk=workspace_id).first()
        if not found:
            raise serializers.ValidationError({"workspace": ["No such workspace."]})
        workspace = found
    schedule = services.save_schedule(request.user, data, workspace=workspace)
    return Response(_schedule_data(schedule.pk, request.user), status=status.HTTP_201_CREATED)


@extend_schema(
    methods=["GET"],
    responses={200: ScheduleSerializer, 404: NOT_FOUND},
    operation_id="schedules_retrieve",
)
@extend_schema(
    methods=["PATCH"],
    request=ScheduleWriteSerializer,
    responses={200: ScheduleSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    operation_id="schedules_update",
    summary="Change a schedule; its next run is worked out again from now",
)
@extend_schema(
    methods=["DELETE"],
    responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    operation_id="schedules_destroy",
    summary="Delete a schedule and its executions (the tasks it made stay)",
)
@api_view(["GET", "PATCH", "DELETE"])
def schedule_detail(request: Request, schedule_id: str) -> Response:
    need = Role.VIEWER if request.method == "GET" else Role.EDITOR
    schedule = services.get_schedule_for_user(request.user, schedule_id, need)
    if request.method == "DELETE":
        services.delete_schedule(schedule)
        return Response(status=status.HTTP_204_NO_CONTENT)
    if request.method == "PATCH":
        data = dict(validated(ScheduleWriteSerializer, request.data))
        if "workspace" in data:
            raise serializers.ValidationError(
                {"workspace": ["A schedule stays in its workspace: make a new one there."]}
            )
        services.save_schedule(request.user, data, schedule=schedule)
    return Response(_schedule_data(schedule.pk, request.user))


@extend_schema(
    request=None,
    responses={202: ExecutionSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    operation_id="schedules_run",
    summary="Run the schedule now, out of turn (its next run stays); returns the execution",
)
@api_view(["POST"])
def schedule_run(request: Request, schedule_id: str) -> Response:
    schedule = services.get_schedule_for_user(request.user, schedule_id, Role.EDITOR)
    execution = services.run_now(schedule)
    return Response(ExecutionSerializer(execution).data, status=status.HTTP_202_ACCEPTED)


def _toggle(request: Request, schedule_id: str, change: Callable[[Schedule], None]) -> Response:
    schedule = services.get_schedule_for_user(request.user, schedule_id, Role.EDITOR)
    change(schedule)
    return Response(_schedule_data(schedule.pk, request.user))


@extend_schema(
    request=None,
    responses={200: ScheduleSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    operation_id="schedules_pause",
    summary="Pause: no runs until resumed",
)
@api_view(["POST"])
def schedule_pause(request: Request, schedule_id: str) -> Response:
    return _toggle(request, schedule_id, services.pause)


@extend_schema(
    request=None,
    responses={200: ScheduleSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    operation_id="schedules_resume",
    summary="Resume from the next slot after now (the slots missed while paused do not run)",
)
@api_view(["POST"])
def schedule_resume(request: Request, schedule_id: str) -> Response:
    return _toggle(request, schedule_id, services.resume)


@extend_schema(
    parameters=[ExecutionListQuerySerializer],
    responses={200: ExecutionListSerializer, 404: NOT_FOUND},
    operation_id="schedules_executions",
    summary=f"The schedule's last {EXECUTION_LIMIT} executions (filtered), newest first, "
    "and a summary of all of them",
)
@api_view(["GET"])
def schedule_executions(request: Request, schedule_id: str) -> Response:
    schedule = services.get_schedule_for_user(request.user, schedule_id)
    query = validated(ExecutionListQuerySerializer, request.query_params)
    found = services.executions(
        schedule, outcome=query.get("outcome", ""), since=query.get("since")
    )[:EXECUTION_LIMIT]
    summary = ExecutionSummarySerializer(services.summary(schedule)).data
    return Response({"summary": summary, "executions": ExecutionSerializer(found, many=True).data})
