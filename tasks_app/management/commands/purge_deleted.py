"""`manage.py purge_deleted [--older-than-hours N]`: the second half of deleting a task.

Deleting a task in the app or API only moves it to the Trash (`deleted_at`), so a mistaken
delete can be undone (Trash page, `POST /api/v1/tasks/{id}/restore`) and a running job is
cancelled cleanly. Run this daily (cron, a systemd
timer or the compose `purge` service) to remove the rows and their upload and result files, and
files no task refers to.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tasks_app.services import purge_deleted


class Command(BaseCommand):
    help = "Remove soft-deleted tasks with their files, and stored files no task refers to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=settings.TRASH_RETENTION_HOURS,
            help="Only tasks deleted at least this long ago (default TRASH_RETENTION_HOURS, 24).",
        )

    def handle(self, *args: Any, older_than_hours: float, **options: Any) -> None:
        report = purge_deleted(timedelta(hours=older_than_hours))
        self.stdout.write(f"Purged {report.tasks} tasks and {report.files} files.")
