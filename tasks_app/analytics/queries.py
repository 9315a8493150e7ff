"""Numbers about tasks for /analytics and its exports: per user, or everyone's for staff.

Everything is computed from the Task table over a window of days: counts by status and kind,
audio minutes transcribed, the average real-time factor (audio seconds per second of
processing, from started_at to completed_at), failures by error code, and tasks created and
completed per day.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from tasks_app.models import Kind, Status, Task

DEFAULT_DAYS = 30
MAX_DAYS = 366
EXPORT_COLUMNS = (
    "id",
    "owner",
    "title",
    "kind",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "duration_seconds",
    "language",
    "model",
    "error_code",
)
# A cell starting with one of these is a formula to spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Summary:
    days: int
    total: int = 0
    by_status: list[tuple[str, int]] = field(default_factory=list)
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)
    audio_minutes: float = 0.0
    real_time_factor: float | None = None
    per_day: list[tuple[date, int, int]] = field(default_factory=list)
    per_user: list[tuple[str, int, float]] = field(default_factory=list)


def tasks_in_scope(user: Any, *, everyone: bool = False) -> QuerySet[Task]:
    """The user's live tasks; everyone's when a staff user asks for them."""
    tasks = Task.objects.alive()
    if everyone and user.is_staff:
        return tasks
    return tasks.filter(user=user)


def summarize(
    tasks: QuerySet[Task], days: int = DEFAULT_DAYS, *, per_user: bool = False
) -> Summary:
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    since = _midnight(start)
    window = tasks.filter(created_at__gte=since)
    summary = Summary(days=days, total=window.count())
    summary.by_status = _labelled(window, "status", Status)
    summary.by_kind = _labelled(window, "kind", Kind)
    summary.failures = [
        (row["error_code"] or "UNKNOWN", row["n"])
        for row in window.filter(status=Status.FAILED)
        .values("error_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "error_code")
    ]
    done = window.filter(status=Status.COMPLETED, kind__in=[Kind.TRANSCRIPTION, Kind.VIDEO])
    audio_seconds = done.aggregate(total=Sum("duration_seconds"))["total"] or 0.0
    summary.audio_minutes = round(audio_seconds / 60, 1)
    summary.real_time_factor = _real_time_factor(done)
    summary.per_day = _per_day(tasks, start, today)
    if per_user:
        summary.per_user = [
            (row["user__email"], row["n"], round((row["seconds"] or 0) / 60, 1))
            for row in window.values("user__email")
            .annotate(n=Count("pk"), seconds=Sum("duration_seconds"))
            .order_by("-n", "user__email")
        ]
    return summary


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _labelled(tasks: QuerySet[Task], name: str, choices: Any) -> list[tuple[str, int]]:
    counts = dict(tasks.values_list(name).annotate(n=Count("pk")).values_list(name, "n"))
    return [(str(label), counts.get(value, 0)) for value, label in choices.choices]


def _real_time_factor(done: QuerySet[Task]) -> float | None:
    """Audio seconds per second of processing, over all completed transcriptions together."""
    audio = processing = 0.0
    rows = done.filter(started_at__isnull=False, completed_at__isnull=False, duration_seconds__gt=0)
    for duration, started, completed in rows.values_list(
        "duration_seconds", "started_at", "completed_at"
    ).iterator():
        elapsed = (completed - started).total_seconds()
        if elapsed > 0:
            audio += duration
            processing += elapsed
    return round(audio / processing, 1) if processing else None


def _per_day(tasks: QuerySet[Task], start: date, end: date) -> list[tuple[date, int, int]]:
    since = _midnight(start)
    created = Counter(
        dict(
            tasks.filter(created_at__gte=since)
            .annotate(day=TruncDate("created_at"))
            .values_list("day")
            .annotate(n=Count("pk"))
            .values_list("day", "n")
        )
    )
    completed = Counter(
        dict(
            tasks.filter(completed_at__gte=since, status=Status.COMPLETED)
            .annotate(day=TruncDate("completed_at"))
            .values_list("day")
            .annotate(n=Count("pk"))
            .values_list("day", "n")
        )
    )
    days = (end - start).days + 1
    return [
        (day, created[day], completed[day])
        for day in (start + timedelta(days=offset) for offset in range(days))
    ]


def export_rows(tasks: QuerySet[Task]) -> Iterator[list[Any]]:
    """One row per task, oldest first, every text cell safe from formula injection."""
    for task in tasks.select_related("user").order_by("created_at", "pk").iterator(chunk_size=500):
        yield [
            str(task.pk),
            safe_cell(task.user.email),
            safe_cell(task.title),
            task.kind,
            task.status,
            _iso(task.created_at),
            _iso(task.started_at),
            _iso(task.completed_at),
            task.duration_seconds,
            task.detected_language or task.language,
            task.model_name,
            task.error_code,
        ]


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _iso(moment: Any) -> str:
    return moment.isoformat() if moment else ""


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(tasks: QuerySet[Task]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for row in export_rows(tasks):
        yield writer.writerow(["" if cell is None else cell for cell in row])


def xlsx_bytes(tasks: QuerySet[Task]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Tasks")
    sheet.append(list(EXPORT_COLUMNS))
    for row in export_rows(tasks):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
