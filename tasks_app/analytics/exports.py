"""The CSV and Excel downloads of a scope's tasks, for the page's and the API's export routes."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from tasks_app.analytics import queries
from tasks_app.models import Task

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def export_response(tasks: QuerySet[Task], extension: str) -> HttpResponseBase:
    """`tasks` as an attachment: CSV streamed row by row, Excel built in memory (openpyxl's
    write-only workbook cannot stream)."""
    response: HttpResponseBase
    if extension == "csv":
        response = StreamingHttpResponse(
            queries.csv_lines(tasks), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(queries.xlsx_bytes(tasks), content_type=XLSX_TYPE)
    filename = f"writers-tasks-{timezone.localdate().isoformat()}.{extension}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
