"""Numbers about tasks for /analytics, /api/v1/analytics and their exports: the tasks of every
workspace the user is a member of, of one workspace, or the whole site's for staff.

Everything is computed from the Task table over a window of days: counts by status and kind,
audio minutes transcribed, the average real-time factor (audio seconds per second of
processing, from started_at to completed_at), failures by error code, tasks created and
completed per day, and per user. Each figure is a fixed number of aggregate queries, however
many tasks there are.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tasks_app.models import Kind, Status, Task
from tasks_app.workspaces.models import Membership, Role, Workspace
from tasks_app.workspaces.services import refusal

DEFAULT_DAYS = 30
MAX_DAYS = 365
TRANSCRIBED = (Kind.TRANSCRIPTION, Kind.VIDEO)
BIGINT_END = 2**63
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
    # Added with workspaces (issue 16): after the old columns, so scripts reading by position
    # keep working.
    "workspace",
    "assignee",
    "priority",
    "tags",
)
# A cell starting with one of these is a formula to spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class UserRow:
    """One user's tasks in the window: created by them, and assigned to them."""

    user_id: int
    email: str
    name: str
    role: str | None  # in the workspace; None for the whole site or a former member
    tasks: int = 0
    completed: int = 0
    failed: int = 0
    audio_minutes: float = 0.0
    assigned: int = 0

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else ""


@dataclass
class Summary:
    days: int
    since: date | None = None
    total: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)
    kind_counts: dict[str, int] = field(default_factory=dict)
    by_status: list[tuple[str, int]] = field(default_factory=list)
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)
    audio_minutes: float = 0.0
    real_time_factor: float | None = None
    per_day: list[tuple[date, int, int]] = field(default_factory=list)
    per_user: list[UserRow] = field(default_factory=list)


@dataclass
class Scope:
    """Whose tasks a figure counts: one workspace's, every workspace of the user's, or (staff)
    the whole site's. `per_user` says whether the per-user breakdown may be shown."""

    tasks: QuerySet[Task]
    workspace: Workspace | None
    everyone: bool
    per_user: bool


def scope_for(
    user: Any, workspace_id: int | None = None, *, everyone: bool = False, admin: bool = False
) -> Scope:
    """The tasks `user` may count. A workspace they are not a member of is Http404 (as a missing
    one), staff excepted; `admin=True` (the per-user breakdown) needs the workspace's admin role
    or staff: PermissionDenied otherwise. Without a workspace: the user's workspaces, or the whole
    site when staff ask for `everyone`."""
    tasks = Task.objects.alive()
    if workspace_id is None:
        if everyone and user.is_staff:
            return Scope(tasks, None, everyone=True, per_user=True)
        if admin:
            raise PermissionDenied(_("Only staff can see every user's figures."))
        return Scope(tasks.filter(workspace__memberships__user=user), None, False, False)
    workspace, role = _workspace_and_role(user, workspace_id)
    if workspace is None or (role is None and not user.is_staff):
        raise Http404
    allowed = user.is_staff or role == Role.ADMIN
    if admin and not allowed:
        raise refusal(role)
    return Scope(tasks.filter(workspace=workspace), workspace, everyone=False, per_user=allowed)


def _workspace_and_role(user: Any, workspace_id: int) -> tuple[Workspace | None, str | None]:
    """The workspace and the user's role in it (None when not a member), in one query."""
    if not 0 < workspace_id < BIGINT_END:
        return None, None  # no such id, and PostgreSQL would refuse to compare with it
    role = Membership.objects.filter(workspace=OuterRef("pk"), user=user).values("role")[:1]
    workspace = Workspace.objects.annotate(role=Subquery(role)).filter(pk=workspace_id).first()
    return workspace, (workspace.role if workspace is not None else None)


def window_start(days: int) -> date:
    return timezone.localdate() - timedelta(days=days - 1)


def in_window(tasks: QuerySet[Task], days: int | None) -> QuerySet[Task]:
    """Tasks created in the last `days` days (today included); all of them for None."""
    if days is None:
        return tasks
    return tasks.filter(created_at__gte=_midnight(window_start(days)))


def summarize(
    tasks: QuerySet[Task],
    days: int = DEFAULT_DAYS,
    *,
    per_user: bool = False,
    workspace: Workspace | None = None,
) -> Summary:
    """Every figure of the page: the overview, the per-day series and, when asked, per user."""
    summary = overview(tasks, days)
    summary.per_day = per_day(tasks, days)
    if per_user:
        summary.per_user = users(tasks, days, workspace)
    return summary


def overview(tasks: QuerySet[Task], days: int = DEFAULT_DAYS) -> Summary:
    start = window_start(days)
    window = in_window(tasks, days)
    summary = Summary(days=days, since=start, total=window.count())
    summary.status_counts = _counts(window, "status", Status)
    summary.kind_counts = _counts(window, "kind", Kind)
    summary.by_status = _labelled(summary.status_counts, Status)
    summary.by_kind = _labelled(summary.kind_counts, Kind)
    summary.failures = [
        (row["error_code"] or "UNKNOWN", row["n"])
        for row in window.filter(status=Status.FAILED)
        .values("error_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "error_code")
    ]
    done = window.filter(status=Status.COMPLETED, kind__in=TRANSCRIBED)
    summary.audio_minutes, summary.real_time_factor = _transcribed(done)
    return summary


def users(
    tasks: QuerySet[Task], days: int = DEFAULT_DAYS, workspace: Workspace | None = None
) -> list[UserRow]:
    """Per user, most tasks first: for a workspace every member (with none too) and anyone else
    whose tasks are in it; otherwise everyone with tasks in the window. Three queries."""
    window = in_window(tasks, days)
    done = Q(status=Status.COMPLETED)
    owned = {
        row["user"]: row
        for row in window.values("user").annotate(
            n=Count("pk"),
            completed=Count("pk", filter=done),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            seconds=Sum("duration_seconds", filter=done & Q(kind__in=TRANSCRIBED)),
        )
    }
    assigned = dict(
        window.filter(assignee__isnull=False)
        .values_list("assignee")
        .annotate(n=Count("pk"))
        .values_list("assignee", "n")
    )
    roles: dict[int, str] = {}
    if workspace is not None:
        roles = dict(Membership.objects.filter(workspace=workspace).values_list("user_id", "role"))
    people = User.objects.filter(pk__in={*owned, *assigned, *roles}).only(
        "pk", "email", "full_name"
    )
    rows = []
    for person in people:
        mine = owned.get(person.pk, {})
        rows.append(
            UserRow(
                user_id=person.pk,
                email=person.email,
                name=person.full_name,
                role=roles.get(person.pk),
                tasks=mine.get("n", 0),
                completed=mine.get("completed", 0),
                failed=mine.get("failed", 0),
                audio_minutes=round((mine.get("seconds") or 0) / 60, 1),
                assigned=assigned.get(person.pk, 0),
            )
        )
    return sorted(rows, key=lambda row: (-row.tasks, -row.assigned, row.email))


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _counts(tasks: QuerySet[Task], name: str, choices: Any) -> dict[str, int]:
    counts = dict(tasks.values_list(name).annotate(n=Count("pk")).values_list(name, "n"))
    return {value: counts.get(value, 0) for value in choices.values}


def _labelled(counts: dict[str, int], choices: Any) -> list[tuple[str, int]]:
    return [(str(choices(value).label), count) for value, count in counts.items()]


def _transcribed(done: QuerySet[Task]) -> tuple[float, float | None]:
    """Audio minutes of the completed transcriptions, and their real-time factor: audio seconds
    per second of processing (started_at to completed_at), over all of them together. One
    aggregate query: reading every completed row into Python cost most of an overview."""
    timed = Q(started_at__isnull=False, completed_at__gt=F("started_at"), duration_seconds__gt=0)
    elapsed = ExpressionWrapper(F("completed_at") - F("started_at"), output_field=DurationField())
    totals = done.aggregate(
        audio=Sum("duration_seconds"),
        timed_audio=Sum("duration_seconds", filter=timed),
        processing=Sum(elapsed, filter=timed),
    )
    minutes = round((totals["audio"] or 0.0) / 60, 1)
    processing = totals["processing"].total_seconds() if totals["processing"] else 0.0
    if not processing:
        return minutes, None
    return minutes, round(totals["timed_audio"] / processing, 1)


def per_day(tasks: QuerySet[Task], days: int = DEFAULT_DAYS) -> list[tuple[date, int, int]]:
    """(day, created, completed) for each of the last `days` days: a task completed today
    counts today even when it was created before the window."""
    start, end = window_start(days), timezone.localdate()
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
    rows = (
        tasks.select_related("user", "workspace", "assignee")
        .prefetch_related("tags")
        .order_by("created_at", "pk")
    )
    for task in rows.iterator(chunk_size=500):
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
            safe_cell(task.workspace.display_name),
            safe_cell(task.assignee.email) if task.assignee else "",
            task.priority,
            safe_cell(", ".join(sorted(tag.name for tag in task.tags.all()))),
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
