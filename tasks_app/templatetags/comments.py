"""The comments section of the task page (tasks_app/comments)."""

from __future__ import annotations

from django import template

from tasks_app.comments import services
from tasks_app.comments.models import Comment
from tasks_app.models import Task
from tasks_app.workspaces.services import role_in

register = template.Library()


@register.simple_tag(takes_context=True)
def comments_for(context: template.Context, task: Task) -> dict[str, list[Comment]]:
    """`live`: what everyone sees; `deleted`: what admins still read (their history)."""
    user = context["request"].user
    if getattr(task, "role", None) is None:
        # A task not fetched through get_task_for_user does not carry the reader's role.
        task.role = role_in(user, task.workspace_id)
        if task.role is None:
            return {"live": [], "deleted": []}
    every = services.comments_for(task, user, deleted=services.can_see_history(task.role))
    return {
        "live": [comment for comment in every if comment.deleted_at is None],
        "deleted": [comment for comment in every if comment.deleted_at is not None],
    }
