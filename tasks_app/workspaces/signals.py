"""Every account comes with a personal workspace, so a new user can upload at once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from tasks_app.workspaces.services import personal_workspace


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="personal_workspace")
def make_personal_workspace(
    sender: Any, instance: Any, created: bool, raw: bool, **kwargs: Any
) -> None:
    if created and not raw:
        personal_workspace(instance)
