from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

import django_rq
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from rq import scheduler as rq_scheduler
from rq.worker import SimpleWorker

from tasks_app.schedules import services

logger = logging.getLogger(__name__)

# After the worker gave up (Redis went away), the pause before it starts again.
RESTART_PAUSE_SECONDS = 5


class ThreadScheduler(rq_scheduler.RQScheduler):
    """RQ's scheduler in a thread of this process. RQ forks a process for it: a second copy of
    Django (about 40 MiB PSS, issue 18) for a loop that moves due job ids once a second."""

    def _install_signal_handlers(self) -> None:
        # The main thread's worker takes SIGTERM and stops this thread (stop_scheduler).
        pass

    def start(self) -> threading.Thread:
        self._status = self.Status.STARTED
        thread = threading.Thread(target=rq_scheduler.run, args=(self,), name="rq-scheduler")
        thread.daemon = True
        # Signals stay with the main thread, asleep in Redis's BLPOP: delivered to this thread,
        # they would wake nobody (transcription.worker.signals_to_main_thread, which the clock
        # uses, lives in an app tasks_app may not import).
        blocked = {signal.SIGINT, signal.SIGTERM}
        on_main = threading.current_thread() is threading.main_thread()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked) if on_main else None
        try:
            thread.start()
        finally:
            if previous is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        self._process = thread
        return thread


class ScheduleWorker(SimpleWorker):
    """Runs the schedules' jobs in this process (each is a few queries: no fork per job), and
    RQ's scheduler in a thread (ThreadScheduler)."""

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = rq_scheduler.DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = rq_scheduler.DEFAULT_LOGGING_FORMAT,
    ) -> None:
        # RQ 3.0's own, with ThreadScheduler for its RQScheduler (it offers no class to set).
        self.scheduler = ThreadScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()

    def stop_scheduler(self) -> None:
        # RQ's kills the scheduler's process by pid: here that would be this process.
        thread = self.scheduler._process if self.scheduler else None
        if thread is not None:
            self.scheduler.request_stop()
            thread.join(timeout=self.scheduler.interval + 10)

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
