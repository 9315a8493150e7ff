"""Bulk actions on tasks chosen from a list (the dashboard's bulk bar, POST
/api/v1/tasks/bulk-update): assign, tag, untag, set priority, move, cancel, delete.

All or nothing: every task must be visible to the user (else Http404 naming the ids it could
not find, the same words for a task that does not exist and one of a workspace the user is not
in), the user must be an editor or admin in each task's workspace (else PermissionDenied), and
the values must suit every task (else ValidationError) before anything changes. Cancel is the
one action that may leave some tasks as they were: a task already finished is reported as
skipped, not refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks_app import services
from tasks_app.models import Priority, Task
from tasks_app.tags.services import tags_in
from tasks_app.workspaces.models import Role, in_workspaces_of
from tasks_app.workspaces.services import require

ACTIONS = ("assign", "tag", "untag", "priority", "move", "cancel", "delete")
# What each action needs besides the ids.
NEEDS = {
    "assign": "assignee",
    "tag": "tags",
    "untag": "tags",
    "priority": "priority",
    "move": "workspace",
}


@dataclass
class BulkResult:
    """The tasks the action changed, and the ones it left as they were with the reason."""

    updated: list[Task] = field(default_factory=list)
    skipped: list[tuple[Task, str]] = field(default_factory=list)


def chosen_tasks(user: Any, ids: Iterable[Any]) -> list[Task]:
    """The user's live tasks with these ids, each with `role`, in the order given; Http404
    naming the ids that are not among them; PermissionDenied when the user is a viewer of one."""
    wanted: list[uuid.UUID] = []
    unknown: list[str] = []
    for value in ids:
        try:
            pk = uuid.UUID(str(value))
        except ValueError:
            unknown.append(str(value))
            continue
        if pk not in wanted:
            wanted.append(pk)
    if not wanted and not unknown:
        raise ValidationError({"ids": ["Choose at least one task."]}, code="required")
    if len(wanted) + len(unknown) > services.BULK_LIMIT:
        raise ValidationError(
            {"ids": [f"Choose at most {services.BULK_LIMIT} tasks at a time."]}, code="bulk_size"
        )
    found = {
        task.pk: task
        for task in in_workspaces_of(Task.objects.alive(), user)
        .select_related("workspace", "assignee")
        .filter(pk__in=wanted)
    }
    unknown += [str(pk) for pk in wanted if pk not in found]
    if unknown:
        raise Http404(_("No such task: %(ids)s.") % {"ids": ", ".join(unknown)})
    tasks = [found[pk] for pk in wanted]
    for task in tasks:
        require(task.role, Role.EDITOR)
    return tasks


def bulk_update(user: Any, ids: Iterable[Any], action: str, **values: Any) -> BulkResult:
    """Run `action` on the tasks `ids`; values: `assignee` (user id or None), `tags` (tag ids),
    `priority`, `workspace` (workspace id), as the action needs."""
    if action not in ACTIONS:
        raise ValidationError(
            {"action": [f"Choose one of: {', '.join(ACTIONS)}."]}, code="unknown_action"
        )
    needed = NEEDS.get(action)
    if needed is not None and needed not in values:
        raise ValidationError({needed: [f"'{action}' needs '{needed}'."]}, code="required")
    if action in ("tag", "untag") and not values["tags"]:
        raise ValidationError({"tags": [_("Choose a tag.")]}, code="required")
    tasks = chosen_tasks(user, ids)
    if action == "cancel":
        return _cancel(tasks)
    if action == "delete":
        for task in tasks:
            services.delete_task(task)
        return BulkResult(updated=tasks)
    with transaction.atomic():
        for task in tasks:
            _change(user, task, action, values)
    return BulkResult(updated=tasks)


def _change(user: Any, task: Task, action: str, values: dict[str, Any]) -> None:
    """One task's share of an assign, tag, untag, priority or move (inside the caller's
    transaction: a ValidationError on any task undoes the ones before it)."""
    if action == "assign":
        services.update_task(task, actor=user, assignee=values["assignee"])
    elif action == "priority":
        if values["priority"] not in Priority.values:
            raise ValidationError(
                {"priority": [f"Priority is one of: {', '.join(Priority.values)}."]},
                code="invalid",
            )
        services.update_task(task, actor=user, priority=values["priority"])
    elif action == "move":
        services.update_task(task, actor=user, workspace=values["workspace"])
    else:
        named = tags_in(task.workspace_id, values["tags"])
        if action == "tag":
            task.tags.add(*named)
        else:
            task.tags.remove(*named)
        Task.objects.filter(pk=task.pk).update(updated_at=timezone.now())


def _cancel(tasks: list[Task]) -> BulkResult:
    result = BulkResult()
    for task in tasks:
        if services.cancel_task(task):
            result.updated.append(task)
        else:
            reason = _("The task is already %(status)s.") % {"status": task.get_status_display()}
            result.skipped.append((task, reason))
    return result
