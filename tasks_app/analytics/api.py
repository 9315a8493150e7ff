"""/api/v1/analytics: the figures of the analytics page as JSON, and its exports, for scripts
(Bearer JWT or a personal API token). Thin views over tasks_app.analytics.queries."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, content_negotiation_class
from rest_framework.request import Request
from rest_framework.response import Response

from tasks_app.analytics import exports, queries
from tasks_app.analytics.serializers import (
    AnalyticsQuerySerializer,
    ExportQuerySerializer,
    OverviewSerializer,
    TrendsSerializer,
    UsersSerializer,
)
from tasks_app.api import JSONErrorsOnly
from writers.schema import ErrorSerializer

NOT_A_MEMBER = OpenApiResponse(
    ErrorSerializer, description="No such workspace, or you are not a member of it."
)
BAD_QUERY = OpenApiResponse(
    ErrorSerializer, description="`workspace` or `days` is not valid; errors per field."
)


def _query(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _scope(request: Request, params: dict[str, Any], *, admin: bool = False) -> queries.Scope:
    return queries.scope_for(
        request.user, params.get("workspace"), everyone=request.user.is_staff, admin=admin
    )


def _about(scope: queries.Scope, days: int) -> dict[str, Any]:
    return {
        "workspace": scope.workspace,
        "everyone": scope.everyone,
        "days": days,
        "since": queries.window_start(days),
        "until": timezone.localdate(),
    }


@extend_schema(
    operation_id="analytics_overview",
    parameters=[AnalyticsQuerySerializer],
    responses={200: OverviewSerializer, 400: BAD_QUERY, 404: NOT_A_MEMBER},
)
@api_view(["GET"])
def overview(request: Request) -> Response:
    params = _query(request, AnalyticsQuerySerializer)
    scope = _scope(request, params)
    summary = queries.overview(scope.tasks, params["days"])
    data = {
        **_about(scope, params["days"]),
        "total": summary.total,
        "by_status": summary.status_counts,
        "by_kind": summary.kind_counts,
        "failures": [{"error_code": code, "count": n} for code, n in summary.failures],
        "audio_minutes": summary.audio_minutes,
        "real_time_factor": summary.real_time_factor,
    }
    return Response(OverviewSerializer(data).data)


@extend_schema(
    operation_id="analytics_trends",
    parameters=[AnalyticsQuerySerializer],
    responses={200: TrendsSerializer, 400: BAD_QUERY, 404: NOT_A_MEMBER},
)
@api_view(["GET"])
def trends(request: Request) -> Response:
    params = _query(request, AnalyticsQuerySerializer)
    scope = _scope(request, params)
    series = [
        {"date": day, "created": created, "completed": completed}
        for day, created, completed in queries.per_day(scope.tasks, params["days"])
    ]
    return Response(TrendsSerializer({**_about(scope, params["days"]), "series": series}).data)


@extend_schema(
    operation_id="analytics_users",
    parameters=[AnalyticsQuerySerializer],
    responses={
        200: UsersSerializer,
        400: BAD_QUERY,
        403: OpenApiResponse(
            ErrorSerializer,
            description="Not an admin of the workspace; without `workspace`, not staff.",
        ),
        404: NOT_A_MEMBER,
    },
)
@api_view(["GET"])
def users(request: Request) -> Response:
    params = _query(request, AnalyticsQuerySerializer)
    scope = _scope(request, params, admin=True)
    rows = queries.users(scope.tasks, params["days"], scope.workspace)
    return Response(UsersSerializer({**_about(scope, params["days"]), "users": rows}).data)


def _export_schema(extension: str, media_type: str) -> Any:
    return extend_schema(
        operation_id=f"analytics_export_{extension}",
        parameters=[ExportQuerySerializer],
        responses={
            (200, media_type): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="One row per task, oldest first: "
                + ", ".join(queries.EXPORT_COLUMNS)
                + ". Text cells that a spreadsheet would run as a formula start with '.",
            ),
            400: BAD_QUERY,
            404: NOT_A_MEMBER,
        },
    )


def _export(request: Request, extension: str) -> HttpResponseBase:
    params = _query(request, ExportQuerySerializer)
    tasks = queries.in_window(_scope(request, params).tasks, params.get("days"))
    return exports.export_response(tasks, extension)


@_export_schema("csv", "text/csv")
@api_view(["GET"])
@content_negotiation_class(JSONErrorsOnly)
def export_csv(request: Request) -> HttpResponseBase:
    return _export(request, "csv")


@_export_schema("xlsx", exports.XLSX_TYPE)
@api_view(["GET"])
@content_negotiation_class(JSONErrorsOnly)
def export_xlsx(request: Request) -> HttpResponseBase:
    return _export(request, "xlsx")
