"""`manage.py recount_tasks`: every workspace's count of live tasks (LiveTaskCount) set again
from the tasks themselves.

Triggers keep the counts on every write. Run this after anything that wrote tasks with the
triggers off, such as a data-only `pg_restore --disable-triggers`; the API lists' totals come
from these counts.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from tasks_app.workspaces import counts


class Command(BaseCommand):
    help = "Set each workspace's count of live tasks from its tasks (PostgreSQL)."

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Only PostgreSQL keeps task counts; there is nothing to recount.")
        with transaction.atomic():
            counts.recount(connection)
        self.stdout.write("Recounted the live tasks of every workspace.")
