from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from tasks_app.integrations.events import tick
from tasks_app.schedules.services import catch_up

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Every INTEGRATIONS_TICK_SECONDS: record finished and overdue tasks, notify their owners, "
        "post due webhook deliveries, delete audio past its retention and run schedule slots "
        "whose job was lost (once each)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="tick once and exit")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        while True:
            close_old_connections()
            try:
                # The loop does not wait for webhook receivers: the next round comes on time.
                report = tick(wait=once)
            except Exception:
                # A database outage must not end the loop; the next tick catches up.
                logger.exception("Integrations tick failed")
            else:
                if once or report:
                    self.stdout.write(f"Integrations: {report}")
            try:
                # The schedules' safety net: a slot RQ's scheduler never released (Redis
                # flushed, the schedules worker down) runs here, once, marked missed.
                caught_up = catch_up()
            except Exception:
                logger.exception("Schedules catch-up failed")
            else:
                if caught_up:
                    self.stdout.write(f"Schedules: {caught_up} missed run(s) made up")
            if once:
                return
            time.sleep(settings.INTEGRATIONS_TICK_SECONDS)
