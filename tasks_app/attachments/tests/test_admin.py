"""Attachments in the admin: listed and shown read-only; deleting one there removes its file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.test import Client

from accounts.models import User
from tasks_app.attachments.models import Attachment
from tasks_app.models import Task


def test_it_lists_and_deletes_with_the_file(
    staff: User,
    alice: User,
    shared_task: Task,
    attach: Callable[..., Attachment],
    django_capture_on_commit_callbacks: Any,
) -> None:
    attachment = attach(shared_task, alice, "minutes.txt")
    client = Client()
    client.force_login(staff)
    assert "minutes.txt" in client.get("/admin/tasks_app/attachment/").content.decode()
    change = client.get(f"/admin/tasks_app/attachment/{attachment.pk}/change/")
    assert change.status_code == 200
    assert 'name="original_filename"' not in change.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/tasks_app/attachment/{attachment.pk}/delete/", {"post": "yes"})
    assert not Attachment.objects.exists()
    assert not (settings.STORAGE_ROOT / attachment.file_path).exists()
