"""The task page's player: whether there is a recording left to play."""

from __future__ import annotations

from django import template

from tasks_app import services
from tasks_app.models import Kind, Task

register = template.Library()

PLAYABLE_KINDS = (Kind.TRANSCRIPTION, Kind.VIDEO)


@register.filter
def playable(task: Task) -> bool:
    """A recording or video whose upload is still stored (not purged, not lost)."""
    return task.kind in PLAYABLE_KINDS and services.upload_name(task) is not None


@register.simple_tag
def player_speeds() -> tuple[str, ...]:
    """Playback rates the speed menu offers, as the `value` of each option."""
    return ("0.5", "0.75", "1", "1.25", "1.5", "2")
