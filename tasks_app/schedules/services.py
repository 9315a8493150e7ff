"""Schedule workflows shared by the pages, the API, the admin and the clock: validate and save a
schedule, work out its next runs, run a due slot exactly once, run now, pause, resume, catch up.

The clock is RQ's own scheduler: every time a schedule's `next_run_at` changes, a job for that
slot is put in RQ's scheduled registry (`Queue.enqueue_at`, a job id per slot so a repeat
collapses into one) and the scheduler of the `schedules` worker (manage.py schedules_worker)
moves it onto the `schedules` queue when it is due. Whoever runs a slot claims it first with a
conditional UPDATE on `next_run_at` (as the transcription worker claims a task), and the unique
(schedule, due_at) of Execution is the second guard: however many processes see a slot due, it
runs once. `catch_up()` (at the worker's start and on every integrations tick) runs a slot whose
job was lost or whose time passed while nothing ran: once, marked missed, never a burst.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from accounts.models import User
from tasks_app.integrations.models import TaskEvent
from tasks_app.integrations.notifications import notify_user
from tasks_app.models import Kind, Priority, Status, Task
from tasks_app.schedules.models import Action, Execution, Rule, Schedule
from tasks_app.services import create_task, enqueue_task, request_analysis
from tasks_app.tags.services import tags_in
from tasks_app.workspaces.models import Role, Workspace, in_workspaces_of, role_allows
from tasks_app.workspaces.services import require, role_in
from writers import queues

logger = logging.getLogger(__name__)

QUEUE = "schedules"
JOB = "tasks_app.schedules.jobs.run_due"
MIN_INTERVAL_SECONDS = 60
NEXT_RUNS = 5
# A slot this far past its time has been missed (its job lost, or nothing was running): the
# safety net runs it, marked missed. Well above the scheduler's one-second poll.
MISSED_AFTER = timedelta(minutes=2)
JOB_TIMEOUT_SECONDS = 300
TIME_ZONES = sorted(available_timezones() - {"localtime", "Factory"})


def get_schedule_for_user(user: Any, schedule_id: Any, need: str = Role.VIEWER) -> Schedule:
    """A schedule in one of the user's workspaces whose role there allows `need` (viewer:
    read; editor: change, run, pause, delete). Http404 for a missing schedule or a non-member,
    PermissionDenied for a role too low; the role is left on `schedule.role`."""
    text = str(schedule_id)
    if not text.isdecimal() or not getattr(user, "is_authenticated", False):
        raise Http404("No such schedule.")
    schedule = (
        in_workspaces_of(Schedule.objects.filter(pk=int(text)), user)
        .select_related("workspace", "assignee", "source_task", "created_by")
        .first()
    )
    if schedule is None:
        raise Http404("No such schedule.")
    require(schedule.role, need)
    return schedule


def schedules_for_user(user: Any, workspace_id: Any = None) -> Any:
    """The schedules of the user's workspaces (one of them with `workspace_id`), each with its
    role and its last execution's outcome."""
    schedules = (
        in_workspaces_of(Schedule.objects, user)
        .select_related("workspace")
        .annotate(
            last_outcome=Subquery(
                Execution.objects.filter(schedule=OuterRef("pk"))
                .order_by("-started_at", "-pk")
                .values("outcome")[:1]
            ),
        )
    )
    if workspace_id not in (None, ""):
        if not str(workspace_id).isdecimal():
            raise ValidationError({"workspace": ["No such workspace."]}, code="unknown_workspace")
        schedules = schedules.filter(workspace_id=int(workspace_id))
    return schedules.order_by("workspace__name", "name", "pk")


# --- Rules and slots ---------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            {"timezone": [f"Unknown time zone '{name}': give an IANA name like Europe/Berlin."]},
            code="unknown_timezone",
        ) from error


def slot_after(schedule: Schedule, moment: datetime) -> datetime | None:
    """The schedule's first due time strictly after `moment` (UTC), None when there is none.

    Cron fields are read in the schedule's time zone (croniter on an aware datetime there, so
    9:00 stays 9:00 local across a DST change); an interval counts from `run_at`, its first run.
    """
    if schedule.rule == Rule.CRON:
        local = moment.astimezone(zone(schedule.timezone))
        found = croniter(schedule.cron, local).get_next(datetime)
        return found.astimezone(UTC)
    if schedule.rule == Rule.INTERVAL:
        start = schedule.run_at
        assert start is not None and schedule.interval_seconds
        if start > moment:
            return start
        step = timedelta(seconds=schedule.interval_seconds)
        return start + ((moment - start) // step + 1) * step
    if schedule.run_at is not None and schedule.run_at > moment:
        return schedule.run_at
    return None


def next_runs(schedule: Schedule, n: int = NEXT_RUNS) -> list[datetime]:
    """The next `n` due times from `next_run_at` on (fewer for a `once`; none when paused)."""
    if schedule.paused or schedule.next_run_at is None:
        return []
    runs = [schedule.next_run_at]
    while len(runs) < n:
        following = slot_after(schedule, runs[-1])
        if following is None:
            break
        runs.append(following)
    return runs


# --- Validation and saving -----------------------------------------------------------------


FIELDS = (
    "name",
    "rule",
    "cron",
    "interval_seconds",
    "run_at",
    "timezone",
    "action",
    "title",
    "description",
    "assignee",
    "priority",
    "tags",
    "due_in_days",
    "source_task",
)


def save_schedule(
    user: Any,
    data: Mapping[str, Any],
    *,
    schedule: Schedule | None = None,
    workspace: Workspace | None = None,
) -> Schedule:
    """Create (in `workspace`) or change `schedule` from `data` (only the keys present change
    an existing one). The user must be an editor or admin there. ValidationError keyed by
    field for anything wrong; `next_run_at` is recomputed from now and the slot handed to the
    clock once this commits."""
    if schedule is None:
        if workspace is None:
            raise ValidationError({"workspace": [_("Choose a workspace.")]}, code="required")
        role = role_in(user, workspace.pk)
        if role is None:
            raise ValidationError({"workspace": ["No such workspace."]}, code="unknown_workspace")
        if not role_allows(role, Role.EDITOR):
            raise PermissionDenied(_("Viewers cannot add schedules to this workspace."))
        schedule = Schedule(workspace=workspace, created_by=user)
    errors: dict[str, list[str]] = {}
    tags: list[Any] | None = None
    for name in FIELDS:
        if name not in data:
            continue
        try:
            value = _clean_field(schedule, name, data[name])
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)
            continue
        if name == "tags":
            tags = value
        else:
            setattr(schedule, name, value)
    for name, messages in problems(schedule).items():
        errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors, code="invalid")
    with transaction.atomic():
        schedule.save()
        if tags is not None:
            schedule.tags.set(tags)
        reschedule(schedule)
    return schedule


def reschedule(schedule: Schedule) -> None:
    """After a change of rule (or a resume): the next slot is the first after now (the slots
    that passed meanwhile do not run), handed to the clock once this commits."""
    schedule.next_run_at = None if schedule.paused else slot_after(schedule, _now_before())
    with transaction.atomic():
        schedule.save(update_fields=["paused", "next_run_at"])
        transaction.on_commit(partial(enqueue_slot, schedule.pk), robust=True)


def _now_before() -> datetime:
    # A slot exactly "now" (an interval whose first run is now) is still to come.
    return timezone.now() - timedelta(microseconds=1)


def _clean_field(schedule: Schedule, name: str, value: Any) -> Any:
    text = "" if value is None else str(value).strip()
    if name in ("name", "cron", "title", "description"):
        return text
    if name == "rule":
        if text not in Rule.values:
            raise ValidationError(f"Choose one of: {', '.join(Rule.values)}.")
        return text
    if name == "action":
        if text not in Action.values:
            raise ValidationError(f"Choose one of: {', '.join(Action.values)}.")
        return text
    if name == "priority":
        if text not in Priority.values:
            raise ValidationError(f"Choose one of: {', '.join(Priority.values)}.")
        return text
    if name == "timezone":
        zone(text or "UTC")
        return text or "UTC"
    if name in ("interval_seconds", "due_in_days"):
        if text == "":
            return None
        if not text.isdecimal():
            raise ValidationError(_("Give a whole number."))
        return int(text)
    if name == "run_at":
        return _clean_moment(value, schedule)
    if name == "assignee":
        if text == "":
            return None
        try:
            found = User.objects.filter(pk=uuid.UUID(text)).first()
        except ValueError:
            found = None
        if found is None or role_in(found, schedule.workspace_id) is None:
            raise ValidationError(_("The assignee must be a member of the workspace."))
        return found
    if name == "tags":
        ids = value if isinstance(value, (list, tuple)) else [v for v in text.split(",") if v]
        if any(not str(i).strip().isdecimal() for i in ids):
            raise ValidationError("Tags are given by their ids.")
        return tags_in(schedule.workspace_id, ids) if ids else []
    if name == "source_task":
        if text == "":
            return None
        try:
            pk = uuid.UUID(text)
        except ValueError:
            pk = None
        task = Task.objects.alive().filter(pk=pk, workspace_id=schedule.workspace_id).first()
        if task is None or not can_rerun(task):
            raise ValidationError(
                _("Choose a text task or a finished transcript of this workspace.")
            )
        return task
    raise AssertionError(name)


def _clean_moment(value: Any, schedule: Schedule) -> datetime | None:
    """An ISO date and time; without an offset it is read in the schedule's time zone."""
    if value in (None, ""):
        return None
    moment = value if isinstance(value, datetime) else parse_datetime(str(value).strip())
    if moment is None:
        raise ValidationError(_("Give a date and time like 2026-12-31T09:00."))
    if timezone.is_naive(moment):
        # The time zone may come in the same request: read it after the loop (see problems).
        return moment.replace(tzinfo=None)
    return moment


def problems(schedule: Schedule) -> dict[str, list[str]]:
    """What is wrong with the schedule as a whole, by field (empty when nothing); fills in the
    defaults that depend on other fields (an interval's first run, the zone of a time)."""
    errors: dict[str, list[str]] = {}
    if not schedule.name:
        errors["name"] = [_("Give the schedule a name.")]
    if schedule.run_at is not None and timezone.is_naive(schedule.run_at):
        schedule.run_at = schedule.run_at.replace(tzinfo=zone(schedule.timezone))
    if schedule.rule == Rule.CRON:
        if not croniter.is_valid(schedule.cron) or len(schedule.cron.split()) != 5:
            errors["cron"] = [
                _("Give a cron expression of five fields, like “0 9 * * 1-5” (9:00 on weekdays).")
            ]
    elif schedule.rule == Rule.INTERVAL:
        if schedule.interval_seconds is None or schedule.interval_seconds < MIN_INTERVAL_SECONDS:
            errors["interval_seconds"] = [
                _("The interval must be at least %(seconds)d seconds.")
                % {"seconds": MIN_INTERVAL_SECONDS}
            ]
        elif schedule.run_at is None:
            # The first run one interval from now.
            schedule.run_at = timezone.now() + timedelta(seconds=schedule.interval_seconds)
    elif schedule.rule == Rule.ONCE:
        if schedule.run_at is None or schedule.run_at <= timezone.now():
            errors["run_at"] = [_("Give a date and time in the future.")]
    else:
        errors["rule"] = [f"Choose one of: {', '.join(Rule.values)}."]
    if schedule.action == Action.TODO:
        try:
            datetime(2026, 1, 1).strftime(schedule.title or schedule.name)
        except ValueError:
            errors["title"] = [_("The title has a % code that is not a date code.")]
    elif schedule.source_task_id is None:
        errors["source_task"] = [_("Choose the task whose analysis to re-run.")]
    return errors


# --- Clock -----------------------------------------------------------------------------------


def job_id(schedule_id: int, due_at: datetime) -> str:
    # One id per slot: a second enqueue_at of the same slot replaces the first.
    return f"schedule-{schedule_id}-{int(due_at.timestamp())}"


def enqueue_slot(schedule_id: int) -> bool:
    """Hand the schedule's next slot to RQ's scheduler. False when Redis is unreachable or
    nothing is due (catch_up runs a slot whose job never made it)."""
    schedule = Schedule.objects.filter(pk=schedule_id, paused=False).first()
    if schedule is None or schedule.next_run_at is None:
        return False
    try:
        queues.queue(QUEUE).enqueue_at(
            schedule.next_run_at,
            JOB,
            schedule.pk,
            schedule.next_run_at.isoformat(),
            job_id=job_id(schedule.pk, schedule.next_run_at),
            job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
    except RedisError:
        logger.warning("Redis unreachable; schedule %s runs when the tick catches up", schedule_id)
        return False
    return True


def run_due(schedule_id: int, due_at: datetime, *, missed: bool = False) -> Execution | None:
    """Run the schedule's slot `due_at` if nobody has: claim it (the conditional UPDATE moves
    `next_run_at` on to the first slot after both the due time and now), record the execution,
    do the work. None when the slot was already taken, the schedule paused, changed or gone."""
    schedule = Schedule.objects.filter(pk=schedule_id).first()
    if schedule is None:
        return None
    now = timezone.now()
    following = slot_after(schedule, max(due_at, now))
    with transaction.atomic():
        claimed = Schedule.objects.filter(pk=schedule_id, next_run_at=due_at, paused=False).update(
            next_run_at=following, last_run_at=now
        )
        if not claimed:
            return None
        execution = _start(schedule, due_at, manual=False, missed=missed)
        if execution is None:
            return None
        transaction.on_commit(partial(enqueue_slot, schedule_id), robust=True)
    return _finish(schedule, execution)


def run_now(schedule: Schedule) -> Execution:
    """Run the schedule at once, out of its rule ("run now"); its slots stay as they were."""
    execution = _start(schedule, timezone.now(), manual=True, missed=False)
    assert execution is not None
    return _finish(schedule, execution)


def catch_up(now: datetime | None = None) -> int:
    """Run every active schedule whose slot is past by more than MISSED_AFTER — its job lost,
    or everything was down — once, marked missed; `next_run_at` moves to the first slot after
    now, so a schedule down for ten slots runs once, not ten times. Returns how many ran."""
    now = now or timezone.now()
    ran = 0
    late = Schedule.objects.filter(paused=False, next_run_at__lt=now - MISSED_AFTER)
    for schedule_id, due_at in late.values_list("pk", "next_run_at"):
        schedule = Schedule.objects.filter(pk=schedule_id).first()
        if schedule is None:
            continue
        # The most recent slot that passed: the run says which time it stands for.
        latest = due_at
        while (following := slot_after(schedule, latest)) is not None and following <= now:
            latest = following
        if latest != due_at:
            claimed = Schedule.objects.filter(pk=schedule_id, next_run_at=due_at).update(
                next_run_at=latest
            )
            if not claimed:
                continue
        try:
            ran += run_due(schedule_id, latest, missed=True) is not None
        except Exception:
            logger.exception("Schedule %s: the catch-up run failed", schedule_id)
    return ran


def _start(schedule: Schedule, due_at: datetime, *, manual: bool, missed: bool) -> Execution | None:
    try:
        with transaction.atomic():
            return Execution.objects.create(
                schedule=schedule, due_at=due_at, manual=manual, missed=missed
            )
    except IntegrityError:
        # The unique (schedule, due_at): this slot already ran.
        return None


def _finish(schedule: Schedule, execution: Execution) -> Execution:
    try:
        execution.task = _perform(schedule, execution.due_at)
        execution.outcome = Execution.Outcome.SUCCEEDED
    except (ValidationError, PermissionDenied, CannotRun) as error:
        execution.outcome = Execution.Outcome.FAILED
        execution.error = _reason(error)
    except Exception as error:
        logger.exception("Schedule %s failed", schedule.pk)
        execution.outcome = Execution.Outcome.FAILED
        execution.error = f"Unexpected error: {error}"[:2000]
    execution.finished_at = timezone.now()
    execution.save(update_fields=["task", "outcome", "error", "finished_at"])
    return execution


class CannotRun(Exception):
    """The schedule's work cannot be done now; the message says why, for the execution row."""


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return " ".join(
                f"{field}: {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            )
        return " ".join(error.messages)
    return str(error)


def _perform(schedule: Schedule, due_at: datetime) -> Task:
    if schedule.created_by_id is None:
        raise CannotRun(_("The person who made this schedule no longer has an account."))
    owner = schedule.created_by
    if schedule.action == Action.ANALYSIS:
        return _rerun_analysis(schedule)
    local = due_at.astimezone(zone(schedule.timezone))
    with transaction.atomic():
        task = create_task(
            owner,
            title=local.strftime(schedule.title or schedule.name)[:255],
            description=schedule.description,
            due_date=(
                due_at + timedelta(days=schedule.due_in_days)
                if schedule.due_in_days is not None
                else None
            ),
            workspace=schedule.workspace,
        )
        assignee = schedule.assignee
        if assignee is not None and role_in(assignee, schedule.workspace_id) is None:
            # Left the workspace since: the to-do is made, for nobody in particular.
            assignee = None
        task.assignee = assignee
        task.priority = schedule.priority
        task.save(update_fields=["assignee", "priority"])
        task.tags.set(schedule.tags.all())
        if assignee is not None and assignee != owner:
            notify_user(assignee, TaskEvent.Kind.ASSIGNED, title=task.title, task=task, actor=owner)
    return task


def can_rerun(task: Task) -> bool:
    """A task an analysis schedule can re-run: a text task, or a transcript with text."""
    if task.kind == Kind.TEXT:
        return task.status in (Status.COMPLETED, Status.FAILED)
    return task.kind in (Kind.TRANSCRIPTION, Kind.VIDEO) and task.status == Status.COMPLETED


def _rerun_analysis(schedule: Schedule) -> Task:
    task = Task.objects.alive().filter(pk=schedule.source_task_id).first()
    if task is None:
        raise CannotRun(_("The task to analyse was deleted."))
    if role_in(schedule.created_by, task.workspace_id) not in (Role.EDITOR, Role.ADMIN):
        raise PermissionDenied(_("The schedule's owner may no longer change this task."))
    if task.kind == Kind.TEXT:
        if not _requeue_text(task):
            raise CannotRun(_("The text task is being analysed already."))
        return task
    if not can_rerun(task):
        raise CannotRun(_("The transcript is not finished."))
    if not request_analysis(task):
        raise CannotRun(_("An analysis is already running, or the queue is unreachable."))
    return task


def _requeue_text(task: Task) -> bool:
    """Analyse a text task's document again: back to PENDING and queued once this commits."""
    with transaction.atomic():
        moved = Task.objects.transition(
            task.pk,
            [Status.COMPLETED, Status.FAILED],
            Status.PENDING,
            error_code="",
            error_message="",
            progress=0,
            queued_at=None,
            started_at=None,
            heartbeat_at=None,
            completed_at=None,
        )
        if moved:
            transaction.on_commit(partial(enqueue_task, task.pk), robust=True)
    return moved


# --- Pause, resume, delete ---------------------------------------------------------------------


def pause(schedule: Schedule) -> None:
    """No runs until resumed; the slot's scheduled job finds nothing to claim."""
    Schedule.objects.filter(pk=schedule.pk).update(paused=True, next_run_at=None)
    schedule.paused, schedule.next_run_at = True, None


def resume(schedule: Schedule) -> None:
    """Runs again from the first slot after now: the slots missed while paused do not run."""
    schedule.paused = False
    reschedule(schedule)


def delete_schedule(schedule: Schedule) -> None:
    """The schedule and its executions go; the tasks it made stay."""
    schedule.delete()


# --- Executions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    total: int
    succeeded: int
    failed: int
    running: int
    missed: int
    last_success: datetime | None
    last_failure: datetime | None


def executions(schedule: Schedule, *, outcome: str = "", since: Any = None) -> Any:
    """The schedule's executions, newest first; `outcome` one of Execution.Outcome, `since` an
    ISO date or date and time (ValidationError otherwise)."""
    found = schedule.executions.select_related("task")
    if outcome:
        if outcome not in Execution.Outcome.values:
            raise ValidationError(
                {"outcome": [f"Choose one of: {', '.join(Execution.Outcome.values)}."]},
                code="invalid",
            )
        found = found.filter(outcome=outcome)
    if since not in (None, ""):
        text = str(since).strip()
        moment = parse_datetime(text) or parse_datetime(f"{text}T00:00")
        if moment is None:
            raise ValidationError(
                {"since": ["Give a date like 2026-12-01 or a date and time."]}, code="invalid"
            )
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        found = found.filter(started_at__gte=moment)
    return found


def summary(schedule: Schedule) -> Summary:
    """Counts by outcome and the latest success and failure, in one query."""
    outcome = Execution.Outcome
    row = schedule.executions.aggregate(
        total=Count("pk"),
        succeeded=Count("pk", filter=Q(outcome=outcome.SUCCEEDED)),
        failed=Count("pk", filter=Q(outcome=outcome.FAILED)),
        running=Count("pk", filter=Q(outcome=outcome.RUNNING)),
        missed=Count("pk", filter=Q(missed=True)),
        last_success=Max("finished_at", filter=Q(outcome=outcome.SUCCEEDED)),
        last_failure=Max("finished_at", filter=Q(outcome=outcome.FAILED)),
    )
    return Summary(**row)
