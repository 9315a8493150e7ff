"""What the Attachments panel of the task page reads."""

from __future__ import annotations

from typing import Any

from django import template

from tasks_app.attachments import services
from tasks_app.attachments.models import Attachment
from tasks_app.models import Task
from tasks_app.workspaces.models import Role, role_allows

register = template.Library()


@register.simple_tag
def attachments_of(task: Task) -> list[Attachment]:
    return list(services.attachments_of(task))


@register.filter
def may_change(task: Task) -> bool:
    """Whether the viewer of the page may attach and delete (the role get_task_for_user left)."""
    role: Any = getattr(task, "role", None)
    return role is not None and role_allows(role, Role.EDITOR)


@register.filter
def is_document(attachment: Attachment) -> bool:
    return services.is_document(attachment)
