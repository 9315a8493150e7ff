"""/analytics: charts of the tasks of the user's workspaces (one of them, or staff: everyone's)
and their export as CSV or Excel."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import login_required_page
from tasks_app.analytics import charts, exports, queries
from tasks_app.workspaces.models import Workspace


def _days(request: HttpRequest, default: int | None = queries.DEFAULT_DAYS) -> int | None:
    raw = request.GET.get("days", "")
    if not raw.isdigit():
        return default
    return min(max(int(raw), 1), queries.MAX_DAYS)


def _scope(request: HttpRequest) -> queries.Scope:
    """Staff see everyone's tasks unless they ask for their own (?scope=mine); a chosen
    workspace (?workspace=<id>) narrows either to that workspace."""
    raw = request.GET.get("workspace", "")
    everyone = request.user.is_staff and request.GET.get("scope") != "mine"
    return queries.scope_for(request.user, int(raw) if raw.isdigit() else None, everyone=everyone)


@login_required_page
@require_GET
def analytics_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    days = _days(request) or queries.DEFAULT_DAYS
    summary = queries.summarize(
        scope.tasks, days, per_user=scope.per_user, workspace=scope.workspace
    )
    chosen = {"days": days, "scope": request.GET.get("scope", ""), "workspace": ""}
    if scope.workspace is not None:
        chosen["workspace"] = scope.workspace.pk
    context = {
        "summary": summary,
        "scope": scope,
        "everyone": scope.everyone,
        "workspaces": Workspace.objects.of(request.user),
        "status_chart": charts.bar_chart(_("Tasks by status"), summary.by_status),
        "kind_chart": charts.bar_chart(_("Tasks by kind"), summary.by_kind),
        "failure_chart": charts.bar_chart(_("Failures by error code"), summary.failures),
        "daily_chart": charts.daily_chart(_("Created and completed per day"), summary.per_day),
        "export_query": urlencode({key: value for key, value in chosen.items() if value}),
    }
    return render(request, "tasks_app/analytics/analytics.html", context)


@login_required_page
@require_GET
def export_csv(request: HttpRequest) -> HttpResponseBase:
    return exports.export_response(
        queries.in_window(_scope(request).tasks, _days(request, None)), "csv"
    )


@login_required_page
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponseBase:
    return exports.export_response(
        queries.in_window(_scope(request).tasks, _days(request, None)), "xlsx"
    )
