"""The comments section of the task page (tasks_app/comments)."""

from __future__ import annotations

from django import template

from tasks_app.comments import services
from tasks_app.comments.models import Comment
from tasks_app.models import Task
from tasks_app.workspaces.services import role_in

register = template.Library()


@register.simple_tag(takes_context=True)
def comments_for(context: template.Context, task: Task) -> list[Comment]:
    user = context["request"].user
    if getattr(task, "role", None) is None:
        # A task not fetched through get_task_for_user does not carry the reader's role.
        task.role = role_in(user, task.workspace_id)
    return services.comments_for(task, user)
