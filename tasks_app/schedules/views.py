"""The schedule pages: the list (per workspace, next run, paused, last outcome), the form to
make or change one, and a schedule's page (its next runs in its time zone and the site's,
pause, resume, run now, delete, and its executions with filters and a summary). Every form
posts and comes back without JavaScript; deleting asks first (writers.confirm)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import login_required_page
from tasks_app.models import Kind, Priority, Status, Task
from tasks_app.schedules import services
from tasks_app.schedules.models import Action, Execution, Rule, Schedule
from tasks_app.tags.models import Tag
from tasks_app.templatetags.writers import localdigits
from tasks_app.workspaces.models import Membership, Role, Workspace, role_allows
from writers.confirm import ask_first, confirmed

# The form's "every N minutes / hours / days" in seconds.
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
RECENT = timedelta(days=7)
EXECUTIONS_SHOWN = 50


@login_required_page
@require_GET
def schedule_list(request: HttpRequest) -> HttpResponse:
    workspace_id = request.GET.get("workspace", "")
    try:
        schedules = list(services.schedules_for_user(request.user, workspace_id))
    except ValidationError:
        schedules, workspace_id = list(services.schedules_for_user(request.user)), ""
    workspaces = _workspaces(request.user)
    context = {
        "schedules": schedules,
        "workspaces": workspaces,
        "chosen": workspace_id,
        "can_add": any(role_allows(w.role, Role.EDITOR) for w in workspaces),
    }
    return render(request, "tasks_app/schedules/list.html", context)


def _workspaces(user: Any) -> list[Workspace]:
    """The user's workspaces, each with the user's role there."""
    return list(Workspace.objects.with_role(user))


def _editable_workspaces(user: Any) -> list[Workspace]:
    return [w for w in _workspaces(user) if role_allows(w.role, Role.EDITOR)]


def _form_data(post: QueryDict) -> dict[str, Any]:
    """The form's fields as save_schedule takes them: the interval from count and unit."""
    data: dict[str, Any] = {
        name: post.get(name, "")
        for name in (
            "name",
            "rule",
            "cron",
            "run_at",
            "timezone",
            "action",
            "title",
            "description",
            "assignee",
            "priority",
            "due_in_days",
            "source_task",
        )
    }
    data["tags"] = post.getlist("tags")
    count, unit = post.get("every", "").strip(), post.get("unit", "hours")
    if data["rule"] == Rule.INTERVAL:
        seconds = int(count) * UNITS.get(unit, 3600) if count.isdecimal() else count
        data["interval_seconds"] = seconds
    if data["rule"] != Rule.ONCE and data["rule"] != Rule.INTERVAL:
        data["run_at"] = ""
    return data


def _form(
    request: HttpRequest,
    workspace: Workspace,
    schedule: Schedule | None,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    members = Membership.objects.filter(workspace=workspace).select_related("user")
    sources = [
        task
        for task in Task.objects.alive()
        .filter(workspace=workspace, kind__in=[Kind.TEXT, Kind.TRANSCRIPTION, Kind.VIDEO])
        .filter(status__in=[Status.COMPLETED, Status.FAILED])
        .order_by("-created_at")[:200]
        if services.can_rerun(task)
    ]
    posted = request.POST if request.method == "POST" else None
    context = {
        "workspace": workspace,
        "workspaces": _editable_workspaces(request.user) if schedule is None else [],
        "schedule": schedule,
        "values": _values(schedule, posted),
        "errors": errors or {},
        "members": [m.user for m in members],
        "tags": Tag.objects.filter(workspace=workspace),
        "sources": sources,
        "rules": Rule.choices,
        "actions": Action.choices,
        "priorities": Priority.choices,
        "time_zones": services.TIME_ZONES,
        "units": [("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))],
    }
    return render(request, "tasks_app/schedules/form.html", context, status=status)


def _values(schedule: Schedule | None, posted: QueryDict | None) -> dict[str, Any]:
    """What the form shows: what was posted, else the schedule's fields, else defaults."""
    if posted is not None:
        values: dict[str, Any] = posted.dict()
        values["tags"] = posted.getlist("tags")
        return values
    if schedule is None:
        return {
            "rule": Rule.CRON,
            "cron": "0 9 * * 1-5",
            "timezone": timezone.get_current_timezone_name(),
            "action": Action.TODO,
            "priority": Priority.MEDIUM,
            "every": "1",
            "unit": "days",
            "tags": [],
        }
    every, unit = "", "hours"
    if schedule.interval_seconds:
        for name in ("days", "hours", "minutes"):
            if schedule.interval_seconds % UNITS[name] == 0:
                every, unit = str(schedule.interval_seconds // UNITS[name]), name
                break
    run_at = ""
    if schedule.run_at is not None:
        local = schedule.run_at.astimezone(services.zone(schedule.timezone))
        run_at = local.strftime("%Y-%m-%dT%H:%M")
    return {
        "name": schedule.name,
        "rule": schedule.rule,
        "cron": schedule.cron,
        "every": every,
        "unit": unit,
        "run_at": run_at,
        "timezone": schedule.timezone,
        "action": schedule.action,
        "title": schedule.title,
        "description": schedule.description,
        "assignee": str(schedule.assignee_id or ""),
        "priority": schedule.priority,
        "tags": [str(pk) for pk in schedule.tags.values_list("pk", flat=True)],
        "due_in_days": "" if schedule.due_in_days is None else str(schedule.due_in_days),
        "source_task": str(schedule.source_task_id or ""),
    }


@login_required_page
@require_http_methods(["GET", "POST"])
def schedule_new(request: HttpRequest) -> HttpResponse:
    editable = _editable_workspaces(request.user)
    wanted = request.POST.get("workspace") or request.GET.get("workspace", "")
    workspace = next((w for w in editable if str(w.pk) == wanted), None)
    if workspace is None:
        workspace = next((w for w in editable if w.is_personal), editable[0])
    if request.method == "GET" or "change_workspace" in request.POST:
        return _form(request, workspace, None)
    try:
        schedule = services.save_schedule(
            request.user, _form_data(request.POST), workspace=workspace
        )
    except ValidationError as error:
        return _form(request, workspace, None, errors=error.message_dict, status=400)
    messages.success(request, _("Schedule “%(name)s” made.") % {"name": schedule.name})
    return redirect("schedule_detail", schedule.pk)


@login_required_page
@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = services.get_schedule_for_user(request.user, schedule_id, Role.EDITOR)
    if request.method == "GET":
        return _form(request, schedule.workspace, schedule)
    try:
        services.save_schedule(request.user, _form_data(request.POST), schedule=schedule)
    except ValidationError as error:
        schedule.refresh_from_db()
        return _form(request, schedule.workspace, schedule, errors=error.message_dict, status=400)
    messages.success(request, _("Schedule “%(name)s” saved.") % {"name": schedule.name})
    return redirect("schedule_detail", schedule.pk)


@login_required_page
@require_GET
def schedule_detail(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = services.get_schedule_for_user(request.user, schedule_id)
    show = request.GET.get("show", "")
    since = timezone.now() - RECENT if show == "recent" else None
    outcome = Execution.Outcome.FAILED if show == "failed" else ""
    found = services.executions(schedule, outcome=outcome, since=since)[:EXECUTIONS_SHOWN]
    context = {
        "schedule": schedule,
        "can_change": role_allows(schedule.role, Role.EDITOR),
        "next_runs": services.next_runs(schedule),
        "site_zone": timezone.get_current_timezone_name(),
        "executions": found,
        "summary": services.summary(schedule),
        "show": show,
        "tags": schedule.tags.all(),
        "every": every(schedule.interval_seconds or 0),
        "priority": Priority(schedule.priority).label,
    }
    return render(request, "tasks_app/schedules/detail.html", context)


def every(seconds: int) -> str:
    """An interval in the largest unit that divides it: "every 2 hours"."""
    for unit, texts in (
        ("days", ("every %(count)s day", "every %(count)s days")),
        ("hours", ("every %(count)s hour", "every %(count)s hours")),
    ):
        if seconds and seconds % UNITS[unit] == 0:
            count = seconds // UNITS[unit]
            return ngettext(*texts, count) % {"count": localdigits(str(count))}
    count = seconds // 60
    return ngettext("every %(count)s minute", "every %(count)s minutes", count) % {
        "count": localdigits(str(count))
    }


def _back(schedule_id: int) -> HttpResponse:
    return redirect(reverse("schedule_detail", args=[schedule_id]))


@login_required_page
@require_POST
def schedule_run(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = services.get_schedule_for_user(request.user, schedule_id, Role.EDITOR)
    execution = services.run_now(schedule)
    if execution.outcome == Execution.Outcome.FAILED:
        messages.error(request, _("The run failed: %(error)s") % {"error": execution.error})
    elif schedule.action == Action.TODO:
        messages.success(
            request, _("Ran now: the to-do “%(title)s” was made.") % {"title": execution.task}
        )
    else:
        messages.success(request, _("Ran now: the analysis was queued."))
    return _back(schedule.pk)


@login_required_page
@require_POST
def schedule_pause(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = services.get_schedule_for_user(request.user, schedule_id, Role.EDITOR)
    services.pause(schedule)
    messages.success(request, _("Paused: no runs until you resume it."))
    return _back(schedule.pk)


@login_required_page
@require_POST
def schedule_resume(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = services.get_schedule_for_user(request.user, schedule_id, Role.EDITOR)
    services.resume(schedule)
    messages.success(request, _("Resumed from the next run after now."))
    return _back(schedule.pk)


@login_required_page
@require_POST
def schedule_delete(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = services.get_schedule_for_user(request.user, schedule_id, Role.EDITOR)
    if not confirmed(request):
        question = _(
            "Delete the schedule “%(name)s” and its run history? The tasks it made stay."
        ) % {"name": schedule.name}
        return ask_first(
            request, question, _("Delete"), reverse("schedule_detail", args=[schedule.pk])
        )
    services.delete_schedule(schedule)
    messages.success(request, _("Schedule “%(name)s” deleted.") % {"name": schedule.name})
    return redirect("schedules")
