"""/analytics: charts of the user's tasks (staff: everyone's) and their export as CSV or Excel."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import login_required_page
from tasks_app.analytics import charts, queries

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _days(request: HttpRequest) -> int:
    raw = request.GET.get("days", "")
    days = int(raw) if raw.isdigit() else queries.DEFAULT_DAYS
    return min(max(days, 1), queries.MAX_DAYS)


def _everyone(request: HttpRequest) -> bool:
    """Staff see everyone's tasks unless they ask for their own (?scope=mine)."""
    return request.user.is_staff and request.GET.get("scope") != "mine"


@login_required_page
@require_GET
def analytics_page(request: HttpRequest) -> HttpResponse:
    everyone = _everyone(request)
    tasks = queries.tasks_in_scope(request.user, everyone=everyone)
    summary = queries.summarize(tasks, _days(request), per_user=everyone)
    context = {
        "summary": summary,
        "everyone": everyone,
        "status_chart": charts.bar_chart(_("Tasks by status"), summary.by_status),
        "kind_chart": charts.bar_chart(_("Tasks by kind"), summary.by_kind),
        "failure_chart": charts.bar_chart(_("Failures by error code"), summary.failures),
        "daily_chart": charts.daily_chart(_("Created and completed per day"), summary.per_day),
        "scope_query": "" if everyone or not request.user.is_staff else "scope=mine",
    }
    return render(request, "tasks_app/analytics/analytics.html", context)


@login_required_page
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    tasks = queries.tasks_in_scope(request.user, everyone=_everyone(request))
    response = StreamingHttpResponse(
        queries.csv_lines(tasks), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, _filename("csv"))
    return response


@login_required_page
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    tasks = queries.tasks_in_scope(request.user, everyone=_everyone(request))
    response = HttpResponse(queries.xlsx_bytes(tasks), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _filename("xlsx"))
    return response


def _filename(extension: str) -> str:
    return f"writers-tasks-{timezone.localdate().isoformat()}.{extension}"
