"""Tag chips on task cards and pages, and the dashboard's tag filter: what they read, loaded
once per request however many cards a page shows (the tags of the user's workspaces, which the
dashboard's view reads for its bulk bar too, and the roles when a card does not bring its own:
a query each), never once per card; a task page reads its one workspace's tags."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import template
from django.http import HttpRequest

from tasks_app.models import Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.models import Membership, Role, role_allows

register = template.Library()


def _roles(request: HttpRequest) -> dict[int, str]:
    """The user's role in each of their workspaces (for cards whose list did not bring it)."""
    if not hasattr(request, "_tag_roles"):
        memberships = Membership.objects.filter(user=request.user)
        request._tag_roles = dict(memberships.values_list("workspace_id", "role"))  # type: ignore[attr-defined]
    return request._tag_roles  # type: ignore[attr-defined]


def _tags(context: template.Context) -> dict[int, list[Tag]]:
    """The tags of each of the user's workspaces: those the view read (`workspace_tags`, the
    dashboard's), or read here once per request."""
    request = context["request"]
    if not hasattr(request, "_tag_lists"):
        tags: dict[int, list[Tag]] = defaultdict(list)
        read = context.get("workspace_tags")
        if read is None:
            mine = Tag.objects.filter(workspace__memberships__user=request.user)
            read = mine.select_related("workspace")
        for tag in read:
            tags[tag.workspace_id].append(tag)
        request._tag_lists = tags  # type: ignore[attr-defined]
    return request._tag_lists  # type: ignore[attr-defined]


def _options(context: template.Context, workspace_id: int) -> list[Tag]:
    """The tags of a workspace to pick from: out of the page's list of every workspace's tags
    (the dashboard's cards), or read alone for the one task of a task page or tag form."""
    if context.get("workspace_tags") is not None:
        return _tags(context).get(workspace_id, [])
    return list(Tag.objects.filter(workspace_id=workspace_id))


@register.simple_tag(takes_context=True)
def tag_chips(context: template.Context, task: Task) -> dict[str, Any]:
    """For templates/tasks_app/tags/_chips.html: the task's tags, whether the user may change
    them, and the workspace's other tags to pick from."""
    request = context["request"]
    role = getattr(task, "role", None) or _roles(request).get(task.workspace_id) or Role.VIEWER
    can_change = role_allows(role, Role.EDITOR)
    carried = list(task.tags.all())
    on_task = {tag.pk for tag in carried}
    options = _options(context, task.workspace_id) if can_change else []
    return {
        "tags": carried,
        "can_change": can_change,
        "options": [tag for tag in options if tag.pk not in on_task],
    }


@register.inclusion_tag("tasks_app/tags/_filter.html", takes_context=True)
def tag_filter(context: template.Context, form: Any) -> dict[str, Any]:
    """The dashboard's row of tag chips to filter by (every tag ticked must be on a task)."""
    tags = _tags(context)
    data = form.data if form.is_bound else {}
    chosen = {str(value) for value in data.getlist("tag")} if data else set()
    # With one workspace chosen in the dashboard's filter, its tags (and any still ticked).
    workspace = str(data.get("workspace", "")) if data else ""
    every = [tag for workspace_tags in tags.values() for tag in workspace_tags]
    if workspace.isdigit():
        every = [t for t in every if t.workspace_id == int(workspace) or str(t.pk) in chosen]
    several = len({tag.workspace_id for tag in every}) > 1
    return {
        "tags": every,
        "chosen": chosen,
        "several": several,
    }
