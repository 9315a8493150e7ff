from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Wait until Redis answers (used by `make run` so processes start in order)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args: Any, timeout: float, **options: Any) -> None:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1)
        url = urlsplit(settings.REDIS_URL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError as exc:
                if time.monotonic() > deadline:
                    # Host and port (or the socket) only: REDIS_URL carries the password.
                    where = (
                        unquote(url.path)
                        if url.scheme == "unix"
                        else f"{url.hostname}:{url.port or 6379}"
                    )
                    raise CommandError(f"Redis at {where} did not answer: {exc}") from exc
                time.sleep(0.2)
