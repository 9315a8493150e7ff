"""Tag chips on task cards and pages, and the dashboard's tag filter: what they read, loaded
once per request however many cards a page shows (the roles and tags of the user's
workspaces: two queries), never once per card."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import template
from django.http import HttpRequest

from tasks_app.models import Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.models import Membership, Role, role_allows

register = template.Library()


def _workspaces(request: HttpRequest) -> tuple[dict[int, str], dict[int, list[Tag]]]:
    """The user's role in each of their workspaces, and each workspace's tags."""
    cached = getattr(request, "_tag_chips", None)
    if cached is None:
        roles = dict(
            Membership.objects.filter(user=request.user).values_list("workspace_id", "role")
        )
        tags: dict[int, list[Tag]] = defaultdict(list)
        for tag in Tag.objects.filter(workspace_id__in=roles).select_related("workspace"):
            tags[tag.workspace_id].append(tag)
        cached = request._tag_chips = (roles, tags)  # type: ignore[attr-defined]
    return cached


@register.simple_tag(takes_context=True)
def tag_chips(context: template.Context, task: Task) -> dict[str, Any]:
    """For templates/tasks_app/tags/_chips.html: the task's tags, whether the user may change
    them, and the workspace's other tags to pick from."""
    request = context["request"]
    roles, tags = _workspaces(request)
    role = getattr(task, "role", None) or roles.get(task.workspace_id) or Role.VIEWER
    carried = list(task.tags.all())
    on_task = {tag.pk for tag in carried}
    return {
        "tags": carried,
        "can_change": role_allows(role, Role.EDITOR),
        "options": [tag for tag in tags.get(task.workspace_id, []) if tag.pk not in on_task],
    }


@register.inclusion_tag("tasks_app/tags/_filter.html", takes_context=True)
def tag_filter(context: template.Context, form: Any) -> dict[str, Any]:
    """The dashboard's row of tag chips to filter by (every tag ticked must be on a task)."""
    request = context["request"]
    roles, tags = _workspaces(request)
    data = form.data if form.is_bound else {}
    chosen = {str(value) for value in data.getlist("tag")} if data else set()
    # With one workspace chosen in the dashboard's filter, its tags (and any still ticked).
    workspace = str(data.get("workspace", "")) if data else ""
    every = [tag for workspace_tags in tags.values() for tag in workspace_tags]
    if workspace.isdigit():
        every = [t for t in every if t.workspace_id == int(workspace) or str(t.pk) in chosen]
    several = len(roles) > 1
    return {
        "tags": every,
        "chosen": chosen,
        "several": several,
    }
