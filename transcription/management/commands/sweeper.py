from __future__ import annotations

import logging
import time
from dataclasses import astuple
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from transcription.sweeper import sweep

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Every SWEEPER_INTERVAL_SECONDS: enqueue tasks that never reached the queue, recover "
        "tasks whose worker died and remove the temporary files it left."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="sweep once and exit")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        while True:
            close_old_connections()
            try:
                report = sweep()
            except Exception:
                # A database or Redis outage must not end the sweeper; the next round retries.
                logger.exception("Sweep failed")
            else:
                if once or any(astuple(report)):
                    self.stdout.write(f"Sweep: {report}")
            if once:
                return
            time.sleep(settings.SWEEPER_INTERVAL_SECONDS)
