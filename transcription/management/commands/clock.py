from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from transcription.worker import signals_to_main_thread

logger = logging.getLogger("transcription.clock")

# After a loop stopped on an error its own round did not catch, the pause before it starts again.
RESTART_PAUSE_SECONDS = 5
# Each in a thread of its own: a slow or failing one never delays or stops the others.
THREADS = {"sweeper": "sweeper", "integrations": "integrations_tick"}


def keep_running(name: str, loop: Callable[[], Any], stop: threading.Event) -> None:
    """Run `loop` until `stop`, starting it again after an error that ended it."""
    while not stop.is_set():
        try:
            loop()
        except Exception:
            logger.exception(
                "Clock: the %s loop stopped; starting it again in %s s", name, RESTART_PAUSE_SECONDS
            )
        stop.wait(RESTART_PAUSE_SECONDS)


class Command(BaseCommand):
    # The checks import every URL and so every view: tens of MiB a long-lived process never uses.
    requires_system_checks: list[str] = []
    help = (
        "The background clock in one process: the sweeper and the integrations tick, each in a "
        "thread, and the schedules' worker with RQ's scheduler in the main thread (it takes "
        "SIGTERM and SIGINT; stopping it stops the process)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        # The threads leave SIGTERM to the main thread, asleep in Redis's BLPOP (worker.py).
        with signals_to_main_thread():
            for name, command in THREADS.items():
                threading.Thread(
                    target=keep_running,
                    args=(name, lambda command=command: call_command(command), stop),
                    name=f"clock-{name}",
                    daemon=True,
                ).start()
        logger.info("Clock: %s and schedules started", ", ".join(THREADS))
        try:
            # Returns once told to stop; it starts itself again after a Redis or database outage.
            call_command("schedules_worker")
        finally:
            stop.set()
        logger.info("Clock: stopped")
