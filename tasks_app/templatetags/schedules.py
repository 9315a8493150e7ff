from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from tasks_app.schedules.services import zone
from tasks_app.templatetags.writers import when

register = template.Library()


@register.filter
def in_zone(value: datetime | None, name: str) -> str:
    """A moment as `when` writes it, read in the time zone `name` (a schedule's own)."""
    if value is None:
        return ""
    with timezone.override(zone(name)):
        return when(value)
