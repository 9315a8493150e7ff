"""Attachments count among a task's files: purging the task (Trash "Delete now", the scheduled
purge) removes them, and a file no attachment row names is swept as an orphan."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from tasks_app import blobs
from tasks_app.attachments.models import Attachment
from tasks_app.models import Task
from tasks_app.services import purge_deleted, purge_task, task_files


def test_task_files_names_the_attachments(
    alice: User, shared_task: Task, attach: Callable[..., Attachment]
) -> None:
    first, second = attach(shared_task, alice, "a.txt"), attach(shared_task, alice, "b.txt")
    assert {first.file_path, second.file_path} <= set(task_files(shared_task))


def test_purging_a_task_removes_its_attachments(
    backend: str, alice: User, shared_task: Task, attach: Callable[..., Attachment]
) -> None:
    attachment = attach(shared_task, alice)
    Task.objects.filter(pk=shared_task.pk).update(deleted_at=timezone.now())
    shared_task.refresh_from_db()
    assert purge_task(shared_task) == 2  # the recording and the attachment
    assert not blobs.exists(attachment.file_path)
    assert list(blobs.listing(f"attachments/{shared_task.pk}")) == []
    # No empty folder is left on a disk either.
    assert not (settings.STORAGE_ROOT / "attachments" / str(shared_task.pk)).exists()
    assert not Attachment.objects.exists()


def test_the_scheduled_purge_removes_attachments_and_orphans(
    alice: User,
    shared_task: Task,
    make_task: Callable[..., Task],
    attach: Callable[..., Attachment],
) -> None:
    gone = make_task(alice, deleted_at=timezone.now() - timedelta(days=30))
    old = attach(gone, alice)
    kept = attach(shared_task, alice)
    # A file written just before a crash, whose row was never saved.
    orphan = settings.STORAGE_ROOT / "attachments" / str(shared_task.pk) / "lost.txt"
    orphan.write_bytes(b"lost")
    hours_ago = time.time() - 7200
    os.utime(orphan, (hours_ago, hours_ago))
    report = purge_deleted(timedelta(days=7))
    assert not (settings.STORAGE_ROOT / old.file_path).exists()
    assert not orphan.exists()
    assert (settings.STORAGE_ROOT / kept.file_path).exists()
    assert report.tasks == 1
