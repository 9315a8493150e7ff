from __future__ import annotations

import logging
import time
from typing import Any

import django_rq
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from rq.worker import SimpleWorker

from tasks_app.schedules import services

logger = logging.getLogger(__name__)

# After the worker gave up (Redis went away), the pause before it starts again.
RESTART_PAUSE_SECONDS = 5


class ScheduleWorker(SimpleWorker):
    """Runs the schedules' jobs in this process (each is a few queries: no fork per job)."""

    def execute_job(self, job: Any, queue: Any) -> Any:
        # A long-lived process: a connection the database dropped is replaced, not reused
        # (never inside a transaction: a test's, when a test runs the worker in its thread).
        if not connection.in_atomic_block:
            close_old_connections()
        return super().execute_job(job, queue)


class Command(BaseCommand):
    help = (
        "The schedules' clock: run slots missed while nothing ran (once each), then work the "
        "`schedules` queue with RQ's scheduler, which releases each schedule's job when due."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--burst",
            action="store_true",
            help="release the jobs due now, run them and exit",
        )

    def handle(self, *args: Any, burst: bool, **options: Any) -> None:
        while True:
            worker = None
            try:
                ran = services.catch_up()
                if ran:
                    self.stdout.write(f"Schedules: {ran} missed run(s) made up")
                queue = django_rq.get_queue(services.QUEUE)
                worker = ScheduleWorker([queue], connection=queue.connection)
                # with_scheduler: RQ's scheduler (one per Redis, by lock) moves due jobs onto
                # the queue.
                worker.work(
                    burst=burst, with_scheduler=True, logging_level=settings.WORKER_LOG_LEVEL
                )
            except Exception:
                # A database or Redis outage: the process stays (under `make run` one process
                # that exits stops them all) and starts over.
                logger.exception("Schedules worker stopped unexpectedly")
            stopped = worker is not None and worker._shutdown_requested_date is not None
            if burst or stopped:
                return
            logger.warning("Schedules worker restarting in %s s", RESTART_PAUSE_SECONDS)
            time.sleep(RESTART_PAUSE_SECONDS)
