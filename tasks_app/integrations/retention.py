"""Audio retention: delete the audio of finished tasks (the transcript and result stay).

A task's own `delete_after` (AudioRetention) wins; otherwise the owner's `audio_retention_days`
counts from when the task finished. Run by the integrations tick; deleting goes through
tasks_app.services.purge_audio, which never touches an active task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from tasks_app.integrations.models import AudioRetention
from tasks_app.models import TERMINAL, Task
from tasks_app.services import purge_audio


def set_delete_after(task: Task, when: datetime | None) -> None:
    """Delete this task's audio after `when`; None goes back to the owner's default."""
    if when is None:
        AudioRetention.objects.filter(task=task).delete()
    else:
        AudioRetention.objects.update_or_create(task=task, defaults={"delete_after": when})


def delete_after(task: Task) -> datetime | None:
    """When the task's audio will be deleted, as far as is known now."""
    own = AudioRetention.objects.filter(task=task).values_list("delete_after", flat=True).first()
    if own is not None:
        return own
    days = task.user.audio_retention_days
    finished = task.completed_at or (task.updated_at if task.status in TERMINAL else None)
    if days is None or finished is None:
        return None
    return finished + timedelta(days=days)


def purge_expired_audio() -> int:
    """Delete every audio file whose time has come; returns how many were deleted."""
    now = timezone.now()
    kept = (
        Task.objects.alive()
        .exclude(file_path="")
        .filter(audio_purged_at__isnull=True, status__in=list(TERMINAL))
    )
    has_own = AudioRetention.objects.filter(task=OuterRef("pk"))
    due = list(kept.filter(retention__delete_after__lte=now))
    for user in User.objects.filter(audio_retention_days__isnull=False):
        cutoff = now - timedelta(days=user.audio_retention_days or 0)
        due += (
            kept.filter(user=user)
            .filter(~Exists(has_own))
            .annotate(finished=Coalesce("completed_at", "updated_at"))
            .filter(finished__lte=cutoff)
        )
    return sum(purge_audio(task) for task in due)
